"""A plan made before another deployment committed to the workspace is not executed."""

from __future__ import annotations

import pytest

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import load_inputs
from fabctl.application.deployment.run import Deps
from fabctl.application.handlers.deployment import prepare_deployment
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.transaction import WorkspaceBusy

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
