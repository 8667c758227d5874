"""A plan made before another deployment committed to the workspace, or while one was writing, is not executed."""

from __future__ import annotations

import pytest

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import load_inputs
from fabctl.application.deployment.run import Deps
from fabctl.application.handlers.deployment import prepare_deployment
from fabctl.application.ports import DEFAULT_LEASE_TERM
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.transaction import Transaction, WorkspaceBusy

from .world import SOURCE, World, source_items


def test_a_deployment_planned_before_another_committed_is_refused_and_writes_nothing(world: World) -> None:
    app = world.app
    app.bus.handle(ExecuteDeployment("first", SOURCE, "dev", "ci"))
    world.set_source(source_items(notebook_extra="# mine\n"))
    stale = prepare_deployment(load_inputs(app.reader, SOURCE, "dev"), app.gateway, app.uow)
    world.set_source(source_items(notebook_extra="# theirs\n"))
    app.bus.handle(ExecuteDeployment("second", SOURCE, "dev", "ci"))  # commits while `stale` waits

    with pytest.raises(WorkspaceBusy) as caught:
        execute(stale, Deps(app.uow, app.gateway, app.clock, app.ids, app.telemetry),
                transaction_id="late", message_id="late", on_error="stop")  # fmt: skip

    assert caught.value.field == "transactions" and "plan and deploy again" in caught.value.message
    assert "# theirs" in world.definition_text("Sales (dev)", "Load Sales.Notebook", "notebook-content.py")
    with app.uow as uow:
        assert uow.transactions.get("late") is None


def test_a_deployment_planned_while_another_was_writing_is_refused_once_that_one_committed(world: World) -> None:
    app = world.app
    app.bus.handle(ExecuteDeployment("first", SOURCE, "dev", "ci"))
    ws = app.gateway.find_workspace("Sales (dev)")
    assert ws is not None
    writing = Transaction.start("tx-writing", ws.id, "dev", world.clock.now(), SOURCE)  # half-way, holding the lease
    with app.uow as uow:
        uow.transactions.add(writing)
        uow.leases.acquire(ws.id, writing.id, world.clock.now() + DEFAULT_LEASE_TERM)
        uow.commit()
    world.set_source(source_items(notebook_extra="# mine\n"))
    stale = prepare_deployment(load_inputs(app.reader, SOURCE, "dev"), app.gateway, app.uow)
    writing.commit(world.clock.now())  # it finishes (no step left) while `stale` waits
    with app.uow as uow:
        uow.transactions.add(writing)
        uow.leases.release(ws.id, writing.id)
        uow.commit()

    with pytest.raises(WorkspaceBusy, match="tx-writing changed this workspace while this deployment was planning"):
        execute(stale, Deps(app.uow, app.gateway, app.clock, app.ids, app.telemetry),
                transaction_id="late", message_id="late", on_error="stop")  # fmt: skip

    with app.uow as uow:
        assert uow.transactions.get("late") is None
