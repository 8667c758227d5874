"""`fabctl tx list|show|recover`: the deployment journal, and recovering what a crash left unfinished."""

from __future__ import annotations

import uuid

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.lease_wait import LOCK_TIMEOUT_OPTION, waiting_for_lease
from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, USER_OPTION, app, emit_json


@click.group(cls=WholeSummaryGroup)
def tx() -> None:
    """Inspect deployment transactions: every write, what it replaced, how it ended."""


@tx.command("list")
@click.option("--workspace-id", default=None, help="Only transactions on this workspace.")
@OUTPUT_OPTION
def list_(workspace_id: str | None, output: str) -> None:
    """List transactions, oldest first."""
    from fabctl.application.queries import list_transactions
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = list_transactions(app().uow, workspace_id)
    if output == "json":
        emit_json([{k: v for k, v in to_jsonable(t).items() if k != "steps"} | {"steps": len(t.steps)} for t in found])
    else:
        render.transactions(found)


@tx.command()
@click.argument("transaction_id")
@OUTPUT_OPTION
def show(transaction_id: str, output: str) -> None:
    """Show a transaction's journal, step by step."""
    from fabctl.application.queries import get_transaction
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = get_transaction(app().uow, transaction_id)
    if output == "json":
        emit_json({**to_jsonable(found), "actor_verified": found.actor_verified})
    else:
        render.transaction(found)


@tx.command()
@click.argument("transaction_id")
@click.option("--rollback", "rollback", is_flag=True, help="Undo every step the transaction completed.")
@click.option("--resume", "resume", is_flag=True, help="Complete the deployment (a new transaction resumes it).")
@click.option(
    "--force",
    is_flag=True,
    help="Take over although the transaction still holds the workspace's lease from another host "
    "(its process is gone: killed, lost runner). On the same host a gone process is seen without it.",
)
@click.option("--config", "config_path", default="", help="--resume: workspace config [default: as deployed].")
@click.option("--parameter", "parameter_path", default="", help="--resume: parameter file [default: as deployed].")
@LOCK_TIMEOUT_OPTION
@FABRIC_URL_OPTION
@USER_OPTION
@OUTPUT_OPTION
def recover(
    transaction_id: str,
    rollback: bool,
    resume: bool,
    force: bool,
    config_path: str,
    parameter_path: str,
    lock_timeout: float,
    fabric_url: str | None,
    user: str | None,
    output: str,
) -> None:
    """Finish a transaction a crash left unfinished: --rollback undoes it, --resume completes it.

    Steps whose outcome is unknown are resolved by reading the workspace (a created item is
    adopted, never created twice). It acts on the workspace and the Fabric the transaction journaled,
    whatever the configuration says now; a --fabric-url naming another Fabric is refused (exit code 2).
    Its lease is taken over when its process is gone (same host), else with --force.
    Exit code 3 when the rollback or the deployment did not complete.

    \b
    Examples:
      fabctl tx recover 0b5c... --rollback
      fabctl tx recover 0b5c... --resume --user alice
      fabctl tx recover 0b5c... --rollback --lock-timeout 20m   # until a dead runner's lease runs out
    """
    from fabctl.domain.commands import RecoverTransaction
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.acting import acting
    from fabctl.entrypoints.cli.journaled import exit_if_interrupted, journaled_app, stoppable
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    if rollback == resume:
        raise click.UsageError("give exactly one of --rollback and --resume")
    application = journaled_app(transaction_id, fabric_url)
    who = acting(user, application)  # a signed-in principal refuses --user
    command = RecoverTransaction(
        message_id=str(uuid.uuid4()), transaction_id=transaction_id, mode="rollback" if rollback else "resume",
        requested_by=who.name, config_path=config_path, parameter_path=parameter_path,
        force=force, actor_object_id=who.object_id,
    )  # fmt: skip
    with stoppable(application) as switch:
        result = waiting_for_lease(lambda: application.bus.handle(command), lock_timeout)
    document = {**to_jsonable(result), "succeeded": result.succeeded}
    if output == "json":
        emit_json(document)
    else:
        for line in result.resolved:
            click.echo(line)
        click.echo(f"transaction {result.transaction_id}: {result.state}")
        if result.deployment is not None:
            render.deployment(result.deployment)
    if result.deployment is not None:
        exit_if_interrupted(switch, result.deployment.transaction_id, result.deployment.state)
    exit_if_interrupted(switch, result.transaction_id, result.state)
    if not result.succeeded:
        click.secho(f"error: recovery by {result.mode} did not complete", fg="red", err=True)
        raise click.exceptions.Exit(exit_codes.DEPLOYMENT_FAILED)


from fabctl.entrypoints.cli.tx_revert import revert  # noqa: E402

tx.add_command(revert)
