"""A lease names its holder's process; on this host a holder whose process is gone is taken over
without --force (a later process given the same pid is not the holder); elsewhere the refusal names it."""

from __future__ import annotations

import pytest

from fabctl.adapters.system.machine import InMemoryMachine
from fabctl.application.ports import DEFAULT_LEASE_TERM, ProcessRef
from fabctl.domain.commands import ExecuteDeployment, RecoverTransaction
from fabctl.domain.transaction import StepAction, Transaction, UnfinishedTransaction, WorkspaceBusy

from .world import SOURCE, World, source_items

GONE = ProcessRef("test-host", 777, 1_600_000_000.0)


def machine(world: World) -> InMemoryMachine:
    found = world.app.machine
    assert isinstance(found, InMemoryMachine)
    return found


def crashed(world: World, process: ProcessRef, *, user: str = "alice") -> str:
    """A transaction left started by a process (on `process`'s host) that holds the lease; its workspace."""
    ws = world.app.gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-crashed", ws, "dev", world.clock.now(), SOURCE, actor=user)
    tx.record_intent(StepAction.CREATE, "Sales.Lakehouse", None, None)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.leases.acquire(ws, tx.id, world.clock.now() + DEFAULT_LEASE_TERM, process=process, user=user)
        uow.commit()
    return ws


def recover(world: World, mode: str = "rollback"):  # type: ignore[no-untyped-def]
    return world.app.bus.handle(RecoverTransaction("r-1", "tx-crashed", mode, "bob"))


def test_a_deployment_records_this_process_and_its_user_as_the_holder(world: World) -> None:
    seen = []
    create_item = world.gateway.create_item

    def looking(*args: object, **kwargs: object) -> object:
        seen.append(_lease(world))  # one worker: nobody else uses the unit of work meanwhile
        return create_item(*args, **kwargs)  # type: ignore[arg-type]

    world.gateway.create_item = looking  # type: ignore[method-assign]
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "alice", max_workers=1))

    lease = seen[0]
    assert lease is not None and lease.process == machine(world).process and lease.user == "alice"


def _lease(world: World):  # type: ignore[no-untyped-def]
    ws = world.app.gateway.find_workspace("Sales (dev)")
    with world.app.uow as uow:
        return uow.leases.get(ws.id) if ws else None


def test_recover_takes_over_from_a_gone_process_on_this_host_without_force(world: World) -> None:
    ws = crashed(world, GONE)

    result = recover(world)

    assert result.state == "rolled_back"
    with world.app.uow as uow:
        assert uow.leases.get(ws) is None


def test_a_later_process_reusing_the_holders_pid_is_not_the_holder(world: World) -> None:
    crashed(world, GONE)
    machine(world).running.add(ProcessRef("test-host", GONE.pid, GONE.started + 3600))  # same pid, started later

    assert recover(world).state == "rolled_back"


def test_a_holder_still_running_on_this_host_is_not_taken_over_without_force(world: World) -> None:
    crashed(world, GONE)
    machine(world).running.add(GONE)

    with pytest.raises(WorkspaceBusy, match=r"may still be running by pid 777 on host test-host.*--force"):
        recover(world)


def test_a_holder_on_another_host_is_named_and_needs_force(world: World) -> None:
    crashed(world, ProcessRef("ci-runner-3", 4242, 1_600_000_000.0))

    with pytest.raises(WorkspaceBusy, match=r"pid 4242 on host ci-runner-3.*--force"):
        recover(world)
    assert recover_forced(world).state == "rolled_back"


def recover_forced(world: World):  # type: ignore[no-untyped-def]
    return world.app.bus.handle(RecoverTransaction("r-2", "tx-crashed", "rollback", "bob", force=True))


def test_a_deploy_over_a_gone_holder_points_to_recover_without_force(world: World) -> None:
    crashed(world, GONE)
    world.set_source(source_items())

    with pytest.raises(UnfinishedTransaction, match="fabctl tx recover tx-crashed --rollback") as refused:
        world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "carol"))
    assert "--force" not in str(refused.value)


def test_a_deploy_while_a_holder_on_another_host_writes_names_it(world: World) -> None:
    crashed(world, ProcessRef("ci-runner-3", 4242, 1_600_000_000.0), user="dana")

    named = r"transaction tx-crashed \(user dana, pid 4242 on host ci-runner-3, since .*--force"
    with pytest.raises(WorkspaceBusy, match=named):
        world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "carol"))
