"""What every command shares: the application (built once, lazily), output mode, failures."""

from __future__ import annotations

import json
import os
import tempfile
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

# `plan` alone also speaks markdown: a summary for a pull request comment or a CI job's summary page.
PLAN_OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    callback=_remember_output,
    help="text for people; json for CI (one JSON document on stdout); markdown for a pull request "
    "comment or $GITHUB_STEP_SUMMARY.",
)


def _validated_user(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The identity's normalised text (see `fabctl.domain.identity`); a bad name is refused (exit 2),
    naming the flag or the environment variable it came from."""
    if value is None:
        return None
    from click.core import ParameterSource

    from fabctl.domain.identity import Identity

    from_environment = param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT
    source = "FABCTL_USER" if from_environment else "--user"
    refuse_undecodable(value, source)
    return str(Identity.parse(value, source=source))


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
    help="Fabric's URL: the root https://api.fabric.microsoft.com (as fabric-cicd takes it) or the REST base "
    ".../v1; an emulator's http://127.0.0.1:PORT/v1. A URL with credentials in it is refused "
    "[default: $FABCTL_FABRIC_URL, else the local Fabric in .fabctl/].",
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
        _refuse_undecodable_arguments(ctx)
        from fabctl.entrypoints.bootstrap import bootstrap
        from fabctl.entrypoints.settings import load_settings

        adapters: dict[str, Any] = {}
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = load_settings(**given)
        if workspace is not None:
            from fabctl.adapters.source.git_folder import FabricGitFolderReader
            from fabctl.entrypoints.bootstrap import secret_sources
            from fabctl.entrypoints.cli.target import OverridingReader

            adapters.update(secret_sources(settings))  # the reader's $secret: values, from the app's one store
            adapters["reader"] = OverridingReader(FabricGitFolderReader(secrets=adapters["secret_values"]), workspace)
        if progress is not None:
            adapters["progress"] = progress
        root.obj = bootstrap(settings, **adapters)
    built: App = root.obj
    return built


def _refuse_undecodable_arguments(ctx: click.Context) -> None:
    """An argument with bytes that are not UTF-8 arrives holding lone surrogates: refuse it now,
    naming the option, before it reaches a file name, a Fabric request or the state store."""
    for context in (ctx, *([ctx.parent] if ctx.parent else [])):
        for param in context.command.params:
            given = context.params.get(param.name or "")
            for value in given if isinstance(given, tuple) else (given,):
                if isinstance(value, str):
                    name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
                    refuse_undecodable(value, name)


def refuse_undecodable(value: str, name: str) -> None:
    """Refuse `value` of the option or variable `name` if it holds bytes that are not UTF-8."""
    from fabctl.domain.errors import InvalidConfiguration

    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(value).decode("utf-8", "backslashreplace")
        raise InvalidConfiguration(f"'{shown}' is not UTF-8 text: give it as UTF-8", subject=name) from None


def output_mode() -> str:
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get(OUTPUT_META_KEY, "text")) if ctx is not None else "text"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def fail(error: BaseException, code: int, **details: str) -> NoReturn:
    """Print `error` (every problem it lists, the first on the first line) and exit with `code`."""
    message = redacted(str(error))
    if output_mode() == "json":
        document: dict[str, Any] = {"message": message, **{k: v for k, v in details.items() if v}}
        problems = getattr(error, "problems", None)  # a DomainError's (field, message) pairs
        if isinstance(problems, tuple) and problems:
            document["problems"] = [{"field": field, "message": redacted(text)} for field, text in problems]
        emit_json({"error": document})
    click.secho(f"error: {message}", fg="red", err=True)
    if details.get("log"):
        click.echo(f"details: {details['log']}", err=True)
    raise click.exceptions.Exit(code)


def redacted(text: str) -> str:
    """`text` with every secret value this process read (the application's `secret_values`) shown as its
    `$secret:NAME`: the last boundary before the terminal and the log file, for errors no rule redacted."""
    ctx = click.get_current_context(silent=True)
    built = ctx.find_root().obj if ctx is not None else None
    values = getattr(built, "secret_values", None)
    return values.revealed().redact(text) if values is not None else text


def log_unexpected(error: BaseException) -> str:
    """Keep the traceback of an unexpected error in `fabctl.log` of the state folder, not on screen.

    Returns where it is kept, for the message. The state folder is the one the settings name, also
    when the error came before the application was built; when the log cannot be written there, the
    traceback goes to a temporary file and the message names the folder and why.
    """
    log_file = _state_folder() / "fabctl.log"
    text = redacted("".join(traceback.format_exception(error)))
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(text)
        return str(log_file)
    except OSError as e:
        problem = f"{log_file} could not be written ({e.strerror or e}): set FABCTL_STATE_DIR to a writable folder"
    try:
        descriptor, fallback = tempfile.mkstemp(prefix="fabctl-", suffix=".log")
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as out:
            out.write(text)
        return f"{fallback}, because {problem}"
    except OSError:
        return f"nowhere: {problem}"


def _state_folder() -> Path:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    if root is not None and root.obj is not None:
        folder: Path = root.obj.settings.state_dir
        return folder
    try:  # the application was not built: the settings may still name the folder
        from fabctl.entrypoints.settings import load_settings

        return load_settings().state_dir
    except Exception:  # the settings are what failed: their variable, or the default
        return Path(os.environ.get("FABCTL_STATE_DIR") or ".fabctl")
