"""A run that loses its workspace lease mid-way (here: its lease ran out during a long call and `tx recover`
on another runner took it over, with the same transaction id and its own process) starts no new write,
undoes nothing, stores nothing more, and fails naming the new holder: deploy, revert and recovery alike."""

from __future__ import annotations

import threading

import pytest

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import load_inputs
from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import Deps
from fabctl.application.handlers.deployment import prepare_deployment
from fabctl.application.handlers.revert import revert_transaction
from fabctl.application.ports import ProcessRef
from fabctl.domain.commands import ExecuteDeployment, RecoverTransaction
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.transaction import StepAction, StepOutcome, Transaction, WorkspaceBusy

from .world import DEADLINE_SECONDS, SOURCE, World, source_items

ELSEWHERE = ProcessRef("runner-2", 7, 2.0)
HOLDER = "pid 7 on host runner-2"


def workspace_id(world: World) -> str:
    found = world.app.gateway.find_workspace("Sales (dev)")
    assert found is not None
    return found.id


def take_over(world: World) -> None:
    """The lease runs out (the clock moves past its term) and another runner takes it, as `tx recover` does:
    same transaction, its own process. Called while the run waits on a Fabric call, not using the store."""
    ws, uow = workspace_id(world), world.app.uow
    with uow:
        lease = uow.leases.get(ws)
    assert lease is not None
    world.clock.advance(uow.lease_term.total_seconds() + 1)
    with uow:
        assert uow.leases.acquire(ws, lease.holder, world.clock.now() + uow.lease_term, process=ELSEWHERE, user="bob")
        uow.commit()


def stored(world: World, tx_id: str) -> Transaction:
    with world.app.uow as uow:
        tx = uow.transactions.get(tx_id)
        lease = uow.leases.get(workspace_id(world))
    assert tx is not None and lease is not None and lease.process == ELSEWHERE  # still the new holder's
    return tx


def test_a_deploy_whose_lease_is_taken_during_a_write_stores_nothing_more_and_names_the_holder(world: World) -> None:
    world.gateway.gates["Sales"] = lambda: take_over(world)  # during the first item's create

    with pytest.raises(WorkspaceBusy) as refused:
        world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "alice", on_error="rollback", max_workers=1))

    assert "lost the lease on workspace" in str(refused.value) and HOLDER in str(refused.value)
    assert [e for e in world.gateway.log if e[0] == "start"] == [("start", "Sales")]  # no write after it
    assert list(world.workspace_items("Sales (dev)")) == ["Sales.Lakehouse"]  # and no undo either
    with world.app.uow as uow:
        (summary,) = uow.transactions.summaries(workspace_id(world))
        assert uow.deployments.for_workspace(workspace_id(world)) == {}
    tx = stored(world, summary.id)
    # The journal is as the new holder found it: the write's intent, its outcome for the recovery to find out.
    assert tx.state.value == "started" and tx.steps[-1].outcome is StepOutcome.PENDING


class RenewOnDemand:
    """The keeper's wait between renewals: it ends in a renewal when the test asks, else when stopped."""

    def __init__(self) -> None:
        self._go = threading.Event()

    def renew_now(self) -> None:
        self._go.set()

    def __call__(self, seconds: float, stopped: threading.Event) -> bool:
        while not stopped.is_set():
            if self._go.wait(0.01):
                self._go.clear()
                return False
        return True


def test_a_lease_the_keeper_finds_lost_between_writes_starts_no_further_write(world: World) -> None:
    app, pause = world.app, RenewOnDemand()
    prepared = prepare_deployment(load_inputs(world.reader, SOURCE, "dev"), app.gateway, app.uow)
    outcomes: list[ItemOutcome] = []

    def progress(outcome: ItemOutcome) -> None:
        outcomes.append(outcome)
        if outcome.item == "Sales.Lakehouse":  # written and journaled: the lease is lost before the next write
            take_over(world)
            keeper = next(t for t in threading.enumerate() if t.name == "fabctl-lease-tx-1")
            pause.renew_now()
            keeper.join(DEADLINE_SECONDS)  # its renewal found the lease lost, so it ended
            assert not keeper.is_alive()

    deps = Deps(app.uow, app.gateway, app.clock, app.ids, app.telemetry, app.machine, lease_pause=pause)
    with pytest.raises(WorkspaceBusy) as refused:
        execute(prepared, deps, transaction_id="tx-1", message_id="m-1", on_error="rollback", max_workers=1,
                on_progress=progress)  # fmt: skip

    assert HOLDER in str(refused.value)
    assert [e for e in world.gateway.log if e[0] == "start"] == [("start", "Sales")]
    skipped = [o for o in outcomes if o.status == "skipped"]
    assert skipped and all("interrupted by losing the workspace's lease to transaction tx-1" in o.detail
                           for o in skipped)  # fmt: skip
    assert list(world.workspace_items("Sales (dev)")) == ["Sales.Lakehouse"]  # not rolled back
    tx = stored(world, "tx-1")
    assert tx.state.value == "started" and all(s.outcome is StepOutcome.SUCCEEDED for s in tx.steps)


def test_a_revert_whose_lease_is_taken_during_a_write_writes_and_undoes_nothing_more(world: World) -> None:
    app = world.app
    app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    world.set_source([*source_items(), Item(ItemKey("Notebook", "Extra")), Item(ItemKey("Notebook", "More"))])
    second = app.bus.handle(ExecuteDeployment("m-2", SOURCE, "dev", "tester"))
    mark = len(world.gateway.log)
    world.gateway.gates["More"] = lambda: take_over(world)  # the revert deletes "More" first (most recent)

    with pytest.raises(WorkspaceBusy) as refused:
        revert_transaction(second.transaction_id, uow=app.uow, gateway=app.gateway, clock=app.clock, ids=app.ids,
                           machine=app.machine)  # fmt: skip

    assert HOLDER in str(refused.value)
    assert [e for e in world.gateway.log[mark:] if e[0] == "start"] == [("start", "More")]
    assert "Extra.Notebook" in world.workspace_items("Sales (dev)")  # the revert went no further


def test_a_recovery_whose_lease_is_taken_during_an_undo_undoes_nothing_more(world: World) -> None:
    gateway = world.app.gateway
    ws = gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-crashed", ws, "dev", world.clock.now(), SOURCE)
    for name in ("First", "Second"):
        step = tx.record_intent(StepAction.CREATE, f"{name}.Notebook", None, None)
        tx.record_success(step.number, gateway.create_item(ws, "Notebook", name).id)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()
    world.gateway.gates["Second"] = lambda: take_over(world)  # undone first: the most recent

    with pytest.raises(WorkspaceBusy) as refused:
        world.app.bus.handle(RecoverTransaction("r-1", "tx-crashed", "rollback", "bob"))

    assert HOLDER in str(refused.value)
    assert "First.Notebook" in world.workspace_items("Sales (dev)")  # not undone: the new holder decides
    undone = stored(world, "tx-crashed").steps
    assert [s.outcome for s in undone] == [StepOutcome.SUCCEEDED, StepOutcome.SUCCEEDED]  # nothing more stored
