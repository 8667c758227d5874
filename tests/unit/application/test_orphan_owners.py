"""The same source folder owns its items however its path is spelled, in journals old and new."""

from __future__ import annotations

from fabctl.adapters.system.machine import InMemoryMachine
from fabctl.application.handlers.deployment import deployed_elsewhere
from fabctl.domain.commands import ExecuteDeployment

from .world import SOURCE, World


def owners(world: World, source_dir: str, machine: InMemoryMachine) -> frozenset[str]:
    ws = world.app.gateway.find_workspace("Sales (dev)")
    assert ws is not None
    return frozenset(str(k) for k in deployed_elsewhere(world.app.uow, ws.id, source_dir, machine))


def test_a_journal_written_before_real_paths_were_recorded_is_read_from_the_current_directory(world: World) -> None:
    world.app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))  # journals "src/sales" as typed
    machine = InMemoryMachine(cwd="/home/me/repo", links={"/home/me/link": "/home/me/repo/src/sales"})

    assert owners(world, "/home/me/repo/src/sales/", machine) == frozenset()  # absolute, trailing slash
    assert owners(world, "../link", InMemoryMachine(cwd="/home/me/repo", links=machine.links)) == frozenset()
    assert len(owners(world, "/elsewhere/sales", machine)) == 4  # another folder: all four are not its own
