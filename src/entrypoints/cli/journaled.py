"""What `tx recover` and `tx revert` share: the application on the Fabric the transaction wrote to,
and Ctrl-C / SIGTERM handling around the command (see fabctl.adapters.system.stop)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from fabctl.entrypoints.cli.runtime import app

if TYPE_CHECKING:
    from fabctl.adapters.system.stop import StopSwitch
    from fabctl.entrypoints.bootstrap import App


def journaled_app(transaction_id: str, fabric_url: str | None) -> App:
    """The application on the Fabric `transaction_id` journaled, whatever the settings say, unless
    --fabric-url says otherwise (the handler then refuses a Fabric other than the journaled one)."""
    from fabctl.application.queries import get_transaction
    from fabctl.entrypoints.settings import load_settings

    if fabric_url is not None:
        return app(fabric_url=fabric_url)
    # Read the journal first (no Fabric needed, so none is opened), then reach the Fabric it wrote to.
    journaled = get_transaction(app(fabric="memory").uow, transaction_id).fabric_url
    click.get_current_context().find_root().obj = None
    if journaled:
        return app(fabric_url=journaled)
    if load_settings().fabric == "http":  # the transaction wrote to the local Fabric, not the configured URL
        return app(fabric="local", fabric_url="")
    return app()


@contextmanager
def stoppable(application: App) -> Iterator[StopSwitch]:
    """While inside, Ctrl-C and SIGTERM ask the running transaction to stop (the second: at once)."""
    from fabctl.adapters.system.stop import StopSwitch, signals_flip

    switch = application.stop
    assert isinstance(switch, StopSwitch)
    with signals_flip(switch):
        yield switch


def exit_if_interrupted(switch: StopSwitch, transaction_id: str, state: str) -> None:
    """After a command a signal interrupted: one line naming the transaction, exit 130 or 143."""
    if not switch.exit_code:
        return
    follow_up = {
        "failed": f"; what was done stays. Run `fabctl tx recover {transaction_id} --resume` to complete it, "
        "`--rollback` to undo it, or deploy again",
        "rolled_back": ": every write it made was undone",
        "rollback_incomplete": f": some writes could not be undone, see `fabctl tx show {transaction_id}`",
    }.get(state, "")
    line = f"error: interrupted by {switch.requested()}: transaction {transaction_id} {state}{follow_up}"
    click.secho(line, fg="red", err=True)
    raise click.exceptions.Exit(switch.exit_code)
