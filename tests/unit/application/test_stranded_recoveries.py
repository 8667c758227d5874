"""Which transactions the recovery sweep picks: unfinished ones that no live holder's lease covers."""

from __future__ import annotations

from fabctl.application.ports import DEFAULT_LEASE_TERM
from fabctl.application.stranded import SWEEPER, stranded_recoveries
from fabctl.domain.commands import ExecuteDeployment, RecoverTransaction
from fabctl.domain.transaction import StepAction, Transaction

from .world import SOURCE, World


def add(world: World, tx: Transaction, *, leased: bool) -> None:
    with world.app.uow as uow:
        uow.transactions.add(tx)
        if leased:
            uow.leases.acquire(tx.workspace_id, tx.id, world.clock.now() + DEFAULT_LEASE_TERM)
        uow.commit()


def started(world: World, transaction_id: str) -> Transaction:
    ws = world.app.gateway.create_workspace(f"Workspace {transaction_id}").id
    tx = Transaction.start(transaction_id, ws, "dev", world.clock.now(), SOURCE)
    tx.record_intent(StepAction.CREATE_FOLDER, "Notebooks", None, None)
    return tx


def test_a_finished_transaction_is_not_stranded(world: World) -> None:
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))

    assert stranded_recoveries(world.app.uow, world.app.machine) == []


def test_an_unfinished_transaction_is_stranded_once_its_lease_runs_out(world: World) -> None:
    add(world, started(world, "tx-a"), leased=True)
    before = stranded_recoveries(world.app.uow, world.app.machine)
    world.clock.advance(DEFAULT_LEASE_TERM.total_seconds())

    after = stranded_recoveries(world.app.uow, world.app.machine)

    assert before == []
    assert after == [RecoverTransaction("recover-tx-a-resume", "tx-a", "resume", requested_by=SWEEPER)]


def test_a_rollback_a_crash_interrupted_is_finished_as_a_rollback(world: World) -> None:
    tx = started(world, "tx-b")
    tx.begin_rollback()
    add(world, tx, leased=False)

    (recovery,) = stranded_recoveries(world.app.uow, world.app.machine)

    assert (recovery.transaction_id, recovery.mode, recovery.message_id) == (
        "tx-b",
        "rollback",
        "recover-tx-b-rollback",
    )


def test_a_transaction_under_another_holders_lease_waits(world: World) -> None:
    tx = started(world, "tx-c")
    add(world, tx, leased=False)
    with world.app.uow as uow:
        uow.leases.acquire(tx.workspace_id, "tx-other", world.clock.now() + DEFAULT_LEASE_TERM)
        uow.commit()

    assert stranded_recoveries(world.app.uow, world.app.machine) == []
