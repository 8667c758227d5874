"""A deployment asked to stop (Ctrl-C, SIGTERM) starts no new write, then ends as a failure would:
failed, or rolled back when the environment rolls back; its lease is released."""

from __future__ import annotations

import pytest

from fabctl.adapters.system.stop import StopSwitch
from fabctl.domain.commands import ExecuteDeployment

from .world import SOURCE, World


def stop_at_first_write(world: World) -> StopSwitch:
    switch = world.app.stop
    assert isinstance(switch, StopSwitch)
    create_item = world.gateway.create_item

    def then_stop(*args: object, **kwargs: object) -> object:
        created = create_item(*args, **kwargs)  # type: ignore[arg-type]
        switch.request("SIGINT")  # while this write is in flight: it settles, nothing new starts
        return created

    world.gateway.create_item = then_stop  # type: ignore[method-assign]
    return switch


@pytest.mark.parametrize(
    ("on_error", "state"), [("stop", "failed"), ("continue", "failed"), ("rollback", "rolled_back")]
)
def test_a_stop_request_lets_the_write_in_flight_settle_and_starts_no_other(
    world: World, on_error: str, state: str
) -> None:
    switch = stop_at_first_write(world)

    result = world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester", on_error=on_error, max_workers=1))

    with world.app.uow as uow:
        tx = uow.transactions.get(result.transaction_id)
        lease = uow.leases.get(result.workspace_id)
    assert tx is not None and tx.state.value == state and "interrupted by SIGINT" in tx.reason
    assert [s.action.value for s in tx.steps] == ["create_folder", "create"]  # the folder, then one item: no more
    assert all(s.outcome.value != "pending" for s in tx.steps)
    written = len(world.workspace_items("Sales (dev)"))
    assert written == (0 if state == "rolled_back" else 1)
    assert lease is None and switch.transaction == ""


def test_an_interrupted_revert_writes_nothing_more_and_is_rolled_back(world: World) -> None:
    from fabctl.application.handlers.revert import revert_transaction
    from fabctl.domain.items import Item, ItemKey

    from .world import source_items

    app = world.app
    app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    world.set_source([*source_items(notebook_extra="# v2\n"), Item(ItemKey("Notebook", "Extra"))])
    second = app.bus.handle(ExecuteDeployment("m-2", SOURCE, "dev", "tester"))
    before = world.workspace_items("Sales (dev)")
    switch = app.stop
    assert isinstance(switch, StopSwitch)
    switch.request("SIGTERM")

    result = revert_transaction(
        second.transaction_id, uow=app.uow, gateway=app.gateway, clock=app.clock, ids=app.ids, stop=switch
    )

    assert result.state == "rolled_back" and "interrupted by SIGTERM" in result.error
    assert world.workspace_items("Sales (dev)") == before


def test_recover_rollback_finishes_its_undo_though_asked_to_stop(world: World) -> None:
    from fabctl.domain.commands import RecoverTransaction
    from fabctl.domain.transaction import StepAction, Transaction

    gateway = world.app.gateway
    ws = gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-crashed", ws, "dev", world.clock.now(), SOURCE)
    tx.record_intent(StepAction.CREATE, "Sales.Lakehouse", None, None)
    gateway.create_item(ws, "Lakehouse", "Sales")
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()
    switch = world.app.stop
    assert isinstance(switch, StopSwitch)
    switch.request("SIGINT")  # the undo is what puts the workspace right: it is not cut short

    result = world.app.bus.handle(RecoverTransaction("r-1", "tx-crashed", "rollback", "bob"))

    assert result.state == "rolled_back"
    assert world.workspace_items("Sales (dev)") == {}
