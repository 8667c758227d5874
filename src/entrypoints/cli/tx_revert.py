"""`fabctl tx revert`: undo a committed deployment by deploying what it replaced."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.lease_wait import LOCK_TIMEOUT_OPTION, waiting_for_lease
from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, USER_OPTION, emit_json

if TYPE_CHECKING:
    from fabctl.application.handlers.revert import RevertResult


@click.command()
@click.argument("transaction_id")
@click.option(
    "--force",
    is_flag=True,
    help="Revert even if the workspace changed since the transaction: those changes are overwritten.",
)
@LOCK_TIMEOUT_OPTION
@FABRIC_URL_OPTION
@USER_OPTION
@OUTPUT_OPTION
def revert(
    transaction_id: str, force: bool, lock_timeout: float, fabric_url: str | None, user: str | None, output: str
) -> None:
    """Revert a committed transaction: deploy its before-images as a new transaction.

    Items it updated get their definitions and metadata back, items it moved go back to their
    folder, items it created are deleted and items it deleted are created again. The revert is
    journaled like a deployment (see `fabctl tx show`) and rolled back if one of its writes fails.
    It acts on the workspace and the Fabric the transaction journaled, whatever the configuration
    says now; a --fabric-url naming another Fabric is refused (exit code 2).
    It refuses, writing nothing (exit code 2), when the workspace changed since in a way the revert
    would overwrite (an edit by hand, or a later deployment of the same items), unless --force.
    Exit code 3 when a write failed.

    \b
    Examples:
      fabctl tx list
      fabctl tx revert 3f0c9a7e-...                 # the id shown by deploy and tx list
      fabctl tx revert 3f0c9a7e-... --force -o json
      fabctl tx revert 3f0c9a7e-... --lock-timeout 10m   # wait while another runner deploys
    """
    from fabctl.application.handlers.revert import revert_transaction
    from fabctl.entrypoints.cli.acting import acting
    from fabctl.entrypoints.cli.journaled import exit_if_interrupted, journaled_app, stoppable
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    application = journaled_app(transaction_id, fabric_url)
    who = acting(user, application)  # a signed-in principal refuses --user
    with stoppable(application) as switch:
        result = waiting_for_lease(lambda: revert_transaction(
            transaction_id, uow=application.uow, gateway=application.gateway, clock=application.clock,
            ids=application.ids, force=force, actor=who.name, machine=application.machine, stop=application.stop,
            actor_object_id=who.object_id,
            retry=application.retry, telemetry=application.telemetry,
        ), lock_timeout)  # fmt: skip
    application.bus.relay_outbox()  # TransactionCommitted / TransactionRolledBack, like every event
    document = {**to_jsonable(result), "succeeded": result.succeeded, "requested_by": who.name}
    if output == "json":
        emit_json(document)
    else:
        _render(result)
    exit_if_interrupted(switch, result.transaction_id, result.state)
    if not result.succeeded:
        click.secho(f"error: revert {result.state}: {result.error}", fg="red", err=True)
        raise click.exceptions.Exit(exit_codes.DEPLOYMENT_FAILED)


def _render(result: RevertResult) -> None:
    click.echo(f"Reverting transaction {result.reverted} in workspace {result.workspace_id}")
    for conflict in result.overridden:
        click.echo(f"  overwritten (--force): {conflict}")
    for o in result.outcomes:
        click.echo(f"  {o.action:<7} {o.item}  {o.status}  {o.detail or o.item_id}")
    if not result.outcomes:
        click.echo("  nothing to revert")
    click.echo(f"Transaction {result.transaction_id} {result.state}.")
