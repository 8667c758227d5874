"""`fabctl init`: a new workspace project, with a sample item or a workspace's items, and `fabctl schema`."""

from __future__ import annotations

from pathlib import Path

import click

from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, app, emit_json, output_mode

_CI = ("github", "azure-devops", "none")  # scaffold.CI_PROVIDERS and none; not imported: --help stays light
_SCHEMAS = ("workspace-config", "parameter", "principals")  # schemas.SCHEMA_NAMES


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--from-workspace",
    "workspace_name",
    default="",
    metavar="NAME",
    help="Export the items of this existing workspace (through getDefinition) instead of a sample notebook.",
)
@click.option(
    "--env",
    "environment",
    type=click.Choice(["dev", "test", "prod"]),
    default="dev",
    show_default=True,
    help="With --from-workspace: the environment whose workspace it is.",
)
@click.option("--ci", type=click.Choice(_CI), default="github", show_default=True, help="The CI workflows to write.")
@click.option("--force", is_flag=True, help="Write into a non-empty DIRECTORY, overwriting fabctl's files there.")
@FABRIC_URL_OPTION
@OUTPUT_OPTION
def init(
    directory: str, workspace_name: str, environment: str, ci: str, force: bool, fabric_url: str | None, output: str
) -> None:
    """Scaffold a workspace project in DIRECTORY (default: the current one; created if missing).

    Writes a sample notebook (or, with --from-workspace, every item of that workspace in Fabric's
    git format), workspace-config.yaml with dev, test and prod, parameter.yml, principals.yaml,
    a README, a .gitignore, the JSON Schemas of the YAML files in .schemas/ and the CI workflows.
    A DIRECTORY that holds anything (but .git) is refused, naming what would be overwritten,
    unless --force is given. Exit code 0, or 2 for a refusal.

    \b
    Examples:
      fabctl init sales && cd sales && fabctl plan . --env dev
      fabctl init sales --ci azure-devops
      fabctl init sales --from-workspace "Sales (dev)" --env dev
    """
    from fabctl.adapters.project import scaffold
    from fabctl.adapters.system.ids import UuidIdGenerator

    root = Path(directory)
    project = root.resolve().name or "workspace"
    skipped: list[tuple[str, str]] = []
    if workspace_name:
        from fabctl.application.handlers.adoption import export_workspace

        export = export_workspace(app(fabric_url=fabric_url).gateway, workspace_name)
        items = [f for item in export.items for f in scaffold.item_files(item)]
        skipped = [(str(key), why) for key, why in export.skipped]
        names = scaffold.workspace_names(project, adopted=workspace_name, environment=environment)
    else:
        items = scaffold.sample_items(UuidIdGenerator().new_id())
        names = scaffold.workspace_names(project)
    files = [
        *items,
        *scaffold.configuration_files(project, names, adopted=bool(workspace_name)),
        *(scaffold.ci_files(ci) if ci != "none" else []),
    ]
    written = scaffold.write_project(root, files, force=force)
    if output_mode() == "json":
        emit_json({"directory": str(root), "written": written, "skipped": [{"item": k, "why": w} for k, w in skipped]})
        return
    click.echo(f"wrote {len(written)} files to {root}:")
    for path in written:
        click.echo(f"  {path}")
    for key, why in skipped:
        click.echo(f"not exported: {key}: {why}")
    click.echo(f"next: cd {directory} && fabctl plan . --env dev")


@click.command()
@click.argument("name", type=click.Choice(_SCHEMAS))
def schema(name: str) -> None:
    """Print the JSON Schema of workspace-config.yaml, parameter.yml or principals.yaml.

    Generated from the models fabctl validates the files with. `fabctl init` keeps a copy in
    .schemas/; refresh it after upgrading fabctl:

    \b
      fabctl schema workspace-config > .schemas/workspace-config.schema.json
    """
    from fabctl.adapters.source.schemas import json_schema

    emit_json(json_schema(name))
