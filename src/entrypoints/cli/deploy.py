"""`fabctl plan` and `fabctl deploy`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, USER_OPTION, app, emit_json, output_mode


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
        click.option("--item", "items", multiple=True, help="Only this item, as Name.Type (repeatable)."),
        click.option(
            "--delete-orphans",
            is_flag=True,
            help="Delete items fabctl deployed that left the source (never data items).",
        ),
        FABRIC_URL_OPTION,
        OUTPUT_OPTION,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.command()
@_common
def plan(
    source_dir: str,
    environment: str,
    config_path: str,
    parameter_path: str,
    items: tuple[str, ...],
    delete_orphans: bool,
    fabric_url: str | None,
    output: str,
) -> None:
    """Show what `deploy` would change in the environment's workspace, writing nothing.

    Every item of SOURCE_DIR (a Fabric git-integration folder) is parameterized for the
    environment and compared with what the workspace holds: create, update (with the reason),
    no-op; and, with --delete-orphans, delete.
    """
    from fabctl.application.handlers.deployment import plan_deployment
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    application = app(fabric_url=fabric_url)
    result = plan_deployment(
        application.reader, application.gateway, application.uow, source_dir, environment,
        config_path=config_path, parameter_path=parameter_path, items=items, delete_orphans=delete_orphans,
    )  # fmt: skip
    if output == "json":
        emit_json({**to_jsonable(result), "summary": result.counts()})
    else:
        render.plan(result)


@click.command()
@_common
@click.option(
    "--on-error",
    type=click.Choice(["stop", "continue", "rollback"]),
    default=None,
    help="On a failed item: stop, continue with independent items, or roll back every change. "
    "[default: rollback for protected environments, else stop]",
)
@USER_OPTION
def deploy(
    source_dir: str,
    environment: str,
    config_path: str,
    parameter_path: str,
    items: tuple[str, ...],
    delete_orphans: bool,
    fabric_url: str | None,
    output: str,
    on_error: str | None,
    user: str | None,
) -> None:
    """Deploy SOURCE_DIR to the environment's workspace, in dependency order, in a transaction.

    Only items whose parameterized content differs from the workspace are written. Every write
    is journaled with what it replaced (see `fabctl tx show`). Exit code 3 when an item failed.
    """
    from fabctl.domain.commands import ExecuteDeployment
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    application = app(fabric_url=fabric_url)
    command = ExecuteDeployment(
        message_id=str(uuid.uuid4()), source_dir=source_dir, environment=environment,
        requested_by=user or application.settings.user, config_path=config_path,
        parameter_path=parameter_path, on_error=on_error or "", delete_orphans=delete_orphans, items=items,
    )  # fmt: skip
    result = application.bus.handle(command)
    if output_mode() == "json":
        emit_json({**to_jsonable(result), "succeeded": result.succeeded})
    else:
        render.deployment(result)
    if not result.succeeded:
        click.secho(f"error: deployment {result.state}: {result.error}", fg="red", err=True)
        raise click.exceptions.Exit(exit_codes.DEPLOYMENT_FAILED)
