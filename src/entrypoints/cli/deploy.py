"""`fabctl plan` and `fabctl deploy`."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.lease_wait import LOCK_TIMEOUT_OPTION, waiting_for_lease
from fabctl.entrypoints.cli.runtime import (
    FABRIC_URL_OPTION,
    OUTPUT_OPTION,
    PLAN_OUTPUT_OPTION,
    USER_OPTION,
    app,
    emit_json,
    output_mode,
)

if TYPE_CHECKING:
    from fabctl.application.deployment.planner import PreparedDeployment
    from fabctl.application.deployment.results import DeploymentResult
    from fabctl.application.ports import DeploymentProgress
    from fabctl.entrypoints.bootstrap import App


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    """The arguments and options `plan` and `deploy` share."""
    options = [
        click.argument("source_dir", type=click.Path(file_okay=False)),
        click.option("--env", "environment", required=True, help="Environment name from the config file."),
        click.option(
            "--config", "config_path", default="", help="Workspace config [default: SOURCE_DIR/workspace-config.yaml]."
        ),
        click.option(
            "--parameter", "parameter_path", default="", help="Parameter file [default: SOURCE_DIR/parameter.yml]."
        ),
        click.option(
            "--workspace-id",
            "workspace_id",
            default="",
            metavar="ID",
            help="Target this workspace id instead of the environment's (not with --workspace).",
        ),
        click.option(
            "--workspace",
            "workspace_name",
            default="",
            metavar="NAME",
            help="Target the workspace of this name instead of the environment's; deploy creates it "
            "if missing (not with --workspace-id).",
        ),
        click.option(
            "--item",
            "items",
            multiple=True,
            metavar="Name.Type",
            help="Only this item: Name.Type or a name, exact or a regex (repeatable).",
        ),
        click.option(
            "--delete-orphans",
            is_flag=True,
            help="Delete items fabctl deployed that left the source (never data items).",
        ),
        click.option(
            "--type",
            "item_types",
            multiple=True,
            metavar="TYPE",
            help="Only items of this type, e.g. Notebook; exact or a regex (repeatable).",
        ),
        click.option(
            "--folder",
            "folders",
            multiple=True,
            metavar="PATH",
            help="Only items in this folder or below, e.g. Notebooks; exact or a regex (repeatable).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="REGEX",
            help="Leave out items matching Name.Type, name, type or folder path; exact or a regex (repeatable).",
        ),
        click.option(
            "--with-dependencies",
            is_flag=True,
            help="Also take what the selected items reference, transitively.",
        ),
        click.option(
            "--delete-data-item",
            "delete_data_items",
            multiple=True,
            metavar="Name.Type",
            help="With --delete-orphans, also delete this orphan that holds data, e.g. Old.Lakehouse (repeatable).",
        ),
        click.option(
            "--allow-dangling",
            is_flag=True,
            help="Warn, instead of refusing, when an item refers by logical id to one neither deployed nor "
            "in the workspace (the logical id is left as it is).",
        ),
        click.option(
            "--refresh",
            is_flag=True,
            help="Compare with the workspace's live definitions, not what fabctl recorded: finds drift.",
        ),
        click.option(
            "--report",
            "report_path",
            default="",
            metavar="FILE",
            help="Also write the JSON document of --output json to FILE.",
        ),
        FABRIC_URL_OPTION,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _target(
    environment: str,
    workspace_id: str,
    workspace_name: str,
    fabric_url: str | None,
    progress: DeploymentProgress | None = None,
    *,
    config_path: str = "",
) -> App:
    """The application, with the environment retargeted when --workspace(-id) is given."""
    from fabctl.entrypoints.cli.target import workspace_override

    # checked before any state; without --config, the target alone may stand for a missing config file
    override = workspace_override(environment, workspace_id, workspace_name, config_path)
    return app(fabric_url=fabric_url, workspace=override, progress=progress)


@click.command()
@_common
@PLAN_OUTPUT_OPTION
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Show a unified diff of each changed part (after parameterization) against the workspace.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help=f"Exit {exit_codes.CHANGES_PENDING} when the plan would change the workspace, {exit_codes.OK} when it "
    "would not (terraform's convention; errors keep their exit codes, 2 for a user error).",
)
def plan(
    source_dir: str,
    environment: str,
    config_path: str,
    parameter_path: str,
    workspace_id: str,
    workspace_name: str,
    items: tuple[str, ...],
    item_types: tuple[str, ...],
    folders: tuple[str, ...],
    exclude: tuple[str, ...],
    with_dependencies: bool,
    delete_data_items: tuple[str, ...],
    allow_dangling: bool,
    refresh: bool,
    delete_orphans: bool,
    report_path: str,
    fabric_url: str | None,
    output: str,
    show_diff: bool,
    detailed_exitcode: bool,
) -> None:
    """Show what `deploy` would change in the environment's workspace, writing nothing.

    Every item of SOURCE_DIR (a Fabric git-integration folder) is parameterized for the
    environment and compared with what the workspace holds: create, update (with the reason),
    no-op; and, with --delete-orphans, delete.

    Exit code 0 on success, changes or not; with --detailed-exitcode, 0 when nothing would change
    and 4 when something would. 2 for a user error (missing credentials included), 1 when Fabric
    fails a read. A plan never exits 3 (a failed deployment).

    \b
    Examples:
      fabctl plan my-sales --env dev
      fabctl plan my-sales --env dev --diff                 # line by line, per changed part
      fabctl plan my-sales --env test --workspace "Sales (review)"
      fabctl plan my-sales --env dev --folder Notebooks --refresh   # also finds drift
      fabctl plan my-sales --env dev -o json --report plan.json
      fabctl plan my-sales --env prod --detailed-exitcode   # in CI: 4 = changes pending
    """
    from fabctl.application.deployment.selection import Selection
    from fabctl.application.handlers.deployment import prepare_plan
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    application = _target(environment, workspace_id, workspace_name, fabric_url, config_path=config_path)
    prepared = prepare_plan(
        application.reader, application.gateway, application.uow, source_dir, environment,
        config_path=config_path, parameter_path=parameter_path,
        selection=Selection(items, item_types, folders, exclude, with_dependencies),
        delete_orphans=delete_orphans, delete_data_items=delete_data_items, refresh=refresh,
        allow_dangling=allow_dangling, machine=application.machine,
    )  # fmt: skip
    result = prepared.plan
    diffs = _diffs(prepared) if show_diff else {}
    document = {**to_jsonable(result), "summary": result.counts()}
    if show_diff:
        document["diffs"] = diffs
    if report_path:
        from fabctl.entrypoints.cli.reports import write_json

        write_json(report_path, document)
    if output == "json":
        emit_json(document)
    elif output == "markdown":
        from fabctl.entrypoints.cli import markdown

        render.warnings(result)  # on stderr as well: a job summary is read after the log
        click.echo(markdown.plan(result, diffs if show_diff else None), nl=False)
    else:
        render.plan(result)
        if show_diff:
            render.diffs(diffs)
    if detailed_exitcode and result.has_changes:
        raise click.exceptions.Exit(exit_codes.CHANGES_PENDING)


def _diffs(prepared: PreparedDeployment) -> dict[str, dict[str, str]]:
    """Item ("Name.Type") -> part path -> unified diff, for every item the plan updates."""
    from fabctl.application.deployment.diff import definition_diffs
    from fabctl.domain.plan import ChangeKind

    diffs = {}
    sensitive = prepared.inputs.rules.redactions()
    for change in prepared.plan.changes:
        if change.kind is not ChangeKind.UPDATE or not change.changed_parts or change.key not in prepared.desired:
            continue
        # `desired` binds the item again on each access: one definition is held at a time, not the plan's.
        found = definition_diffs(prepared.desired[change.key], prepared.view.definition(change.key))
        # What a rule took from $ENV: is shown by its name, as in errors.
        diffs[str(change.key)] = {path: sensitive.redact(diff) for path, diff in found.items()}
    return diffs


@click.command()
@_common
@OUTPUT_OPTION
@click.option(
    "--on-error",
    type=click.Choice(["stop", "continue", "rollback"]),
    default=None,
    help="On a failed item: stop, continue with independent items, or roll back every change. "
    "[default: rollback for protected environments, else stop]",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="How many items to deploy at once (dependencies still go first). A worker mostly waits while "
    "Fabric runs the item's long operation, so many are cheap [default: 64].",
)
@click.option(
    "--junit",
    "junit_path",
    default="",
    metavar="FILE",
    help="Write a JUnit XML report to FILE: one testcase per item, failures with their error.",
)
@LOCK_TIMEOUT_OPTION
@USER_OPTION
def deploy(
    source_dir: str,
    environment: str,
    config_path: str,
    parameter_path: str,
    workspace_id: str,
    workspace_name: str,
    items: tuple[str, ...],
    item_types: tuple[str, ...],
    folders: tuple[str, ...],
    exclude: tuple[str, ...],
    with_dependencies: bool,
    delete_data_items: tuple[str, ...],
    allow_dangling: bool,
    refresh: bool,
    delete_orphans: bool,
    report_path: str,
    fabric_url: str | None,
    output: str,
    on_error: str | None,
    workers: int | None,
    junit_path: str,
    lock_timeout: float,
    user: str | None,
) -> None:
    """Deploy SOURCE_DIR to the environment's workspace, in dependency order, in a transaction.

    Only items whose parameterized content differs from the workspace are written. Every write
    is journaled with what it replaced (see `fabctl tx show`). Exit code 3 when an item failed.
    On a terminal a live display shows progress; in CI logs each item prints one line as it
    finishes, e.g. `[3/11] create Load Sales.Notebook ... done (1.2s)`.

    \b
    Examples:
      fabctl deploy my-sales --env dev
      fabctl deploy my-sales --env test --on-error continue --junit deploy.xml --report deploy.json
      fabctl deploy my-sales --env dev --workspace "Sales (feature-x)"   # a throw-away copy
      fabctl deploy my-sales --env dev --item "Load Sales.Notebook" --with-dependencies
      fabctl deploy my-sales --env dev --type Notebook --exclude "Scratch.*" --workers 4
      fabctl deploy my-sales --env dev --delete-orphans --delete-data-item "Old Sales.Lakehouse"
      fabctl deploy my-sales --env prod --lock-timeout 10m   # wait while another runner deploys
    """
    from fabctl.domain.commands import ExecuteDeployment
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.acting import acting
    from fabctl.entrypoints.cli.journaled import exit_if_interrupted, stoppable
    from fabctl.entrypoints.cli.jsonable import to_jsonable
    from fabctl.entrypoints.cli.progress import reporter

    mode = output_mode()
    with reporter(mode) as progress:
        application = _target(environment, workspace_id, workspace_name, fabric_url, progress, config_path=config_path)
        who = acting(user, application)
        command = ExecuteDeployment(
            message_id=str(uuid.uuid4()), source_dir=source_dir, environment=environment,
            requested_by=who.name, actor_object_id=who.object_id, config_path=config_path,
            parameter_path=parameter_path, on_error=on_error or "", delete_orphans=delete_orphans, items=items,
            item_types=item_types, folders=folders, exclude=exclude, with_dependencies=with_dependencies,
            delete_data_items=delete_data_items, refresh=refresh, allow_dangling=allow_dangling,
        )  # fmt: skip
        if workers is not None:
            command = dataclasses.replace(command, max_workers=workers)
        with stoppable(application) as switch:  # Ctrl-C, SIGTERM: no new write starts, then wind down
            result: DeploymentResult = waiting_for_lease(lambda: application.bus.handle(command), lock_timeout)
    document = {**to_jsonable(result), "succeeded": result.succeeded}
    if report_path:
        from fabctl.entrypoints.cli.reports import write_json

        write_json(report_path, document)
    if junit_path:
        from fabctl.entrypoints.cli.reports import write_junit

        write_junit(junit_path, result, progress.durations)
    if mode == "json":
        emit_json(document)
    else:
        render.deployment(result)
    exit_if_interrupted(switch, result.transaction_id, result.state)
    if not result.succeeded:
        click.secho(f"error: deployment {result.state}: {result.error}", fg="red", err=True)
        raise click.exceptions.Exit(exit_codes.DEPLOYMENT_FAILED)
