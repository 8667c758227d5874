"""What every command shares: the application (built once, lazily), output mode, failures."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from fabctl.application.ports import DeploymentProgress
    from fabctl.entrypoints.bootstrap import App
    from fabctl.entrypoints.cli.target import WorkspaceOverride

OUTPUT_META_KEY = "fabctl.output"


def _remember_output(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Kept in `meta`, which the whole context chain shares: when an error reaches the group's
    # handler, the subcommand's own context (and its params) is already gone.
    ctx.meta[OUTPUT_META_KEY] = value
    return value


OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    callback=_remember_output,
    help="text for people; json for CI (one JSON document on stdout).",
)


def _validated_user(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The identity's normalised text (see `fabctl.domain.identity`); a bad name is refused (exit 2),
    naming the flag or the environment variable it came from."""
    if value is None:
        return None
    from click.core import ParameterSource

    from fabctl.domain.identity import Identity

    from_environment = param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT
    return str(Identity.parse(value, source="FABCTL_USER" if from_environment else "--user"))


USER_OPTION = click.option(
    "--user",
    envvar="FABCTL_USER",
    default=None,
    callback=_validated_user,
    help="Who is acting (defaults to $FABCTL_USER, then the OS user). Used for separation of duties. "
    "Compared case-insensitively; DOMAIN\\user and user@domain name one account.",
)


FABRIC_URL_OPTION = click.option(
    "--fabric-url",
    default=None,
    help="Fabric REST base URL, e.g. https://api.fabric.microsoft.com/v1 or an emulator's "
    "http://127.0.0.1:PORT/v1 [default: $FABCTL_FABRIC_URL, else the local Fabric in .fabctl/].",
)


def app(
    *, workspace: WorkspaceOverride | None = None, progress: DeploymentProgress | None = None, **overrides: object
) -> App:
    """The application, built once per command; `overrides` are settings given as flags.

    `workspace` retargets one environment (`--workspace`, `--workspace-id`) by reading the
    release configuration through a reader that applies it; `progress` shows a deployment as it runs.
    """
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        from fabctl.entrypoints.bootstrap import bootstrap
        from fabctl.entrypoints.settings import load_settings

        adapters: dict[str, Any] = {}
        if workspace is not None:
            from fabctl.adapters.source.git_folder import FabricGitFolderReader
            from fabctl.entrypoints.cli.target import OverridingReader

            adapters["reader"] = OverridingReader(FabricGitFolderReader(), workspace)
        if progress is not None:
            adapters["progress"] = progress
        given = {k: v for k, v in overrides.items() if v is not None}
        root.obj = bootstrap(load_settings(**given), **adapters)
    built: App = root.obj
    return built


def output_mode() -> str:
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get(OUTPUT_META_KEY, "text")) if ctx is not None else "text"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def fail(error: BaseException, code: int, **details: str) -> NoReturn:
    message = str(error)
    if output_mode() == "json":
        emit_json({"error": {"message": message, **{k: v for k, v in details.items() if v}}})
    click.secho(f"error: {message}", fg="red", err=True)
    if details.get("log"):
        click.echo(f"details: {details['log']}", err=True)
    raise click.exceptions.Exit(code)


def log_unexpected(error: BaseException) -> str:
    """Keep the traceback of an unexpected error in the log file, not on the user's screen."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    state_dir = Path(".fabctl")
    if root is not None and root.obj is not None:
        state_dir = root.obj.settings.state_dir
    log_file = state_dir / "fabctl.log"
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(error)))
    except OSError:
        logging.getLogger("fabctl").exception("could not write %s", log_file)
    return str(log_file)
