"""Deploying and planning through bootstrap() with in-memory adapters, asserting on end state."""

from __future__ import annotations

import json

import pytest

from fabctl.application.handlers.deployment import plan_deployment
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import UnknownEnvironment
from fabctl.domain.plan import ChangeKind

from .world import CONFIG, LAKEHOUSE_LID, PNG, SOURCE, World, source_items


def deploy(world: World, env: str = "dev", message_id: str = "m-1", **kwargs: object):  # type: ignore[no-untyped-def]
    return world.app.bus.handle(ExecuteDeployment(message_id, SOURCE, env, "tester", **kwargs))  # type: ignore[arg-type]


def plan(world: World, env: str = "dev"):  # type: ignore[no-untyped-def]
    app = world.app
    return plan_deployment(app.reader, app.gateway, app.uow, SOURCE, env)


def test_first_deploy_creates_every_item_with_references_bound_to_the_target(world: World) -> None:
    result = deploy(world)

    assert result.succeeded
    items = world.workspace_items("Sales (dev)")
    assert set(items) == {"Sales.Lakehouse", "Load Sales.Notebook", "Sales Model.SemanticModel", "Sales Report.Report"}
    ws = world.app.gateway.find_workspace("Sales (dev)")
    assert ws is not None
    notebook = world.definition_text("Sales (dev)", "Load Sales.Notebook", "notebook-content.py")
    assert items["Sales.Lakehouse"] in notebook and LAKEHOUSE_LID not in notebook
    assert f'"default_lakehouse_workspace_id": "{ws.id}"' in notebook
    pbir = json.loads(world.definition_text("Sales (dev)", "Sales Report.Report", "definition.pbir"))
    assert pbir["datasetReference"]["byConnection"]["pbiModelDatabaseName"] == items["Sales Model.SemanticModel"]
    logo = world.app.gateway.get_definition(ws.id, items["Sales Report.Report"]).part("StaticResources/logo.png")
    assert logo is not None and logo.payload == PNG


def test_items_are_created_after_what_they_reference(world: World) -> None:
    result = deploy(world)

    created = [o.item for o in result.outcomes if o.action == "create"]
    assert created.index("Sales.Lakehouse") < created.index("Load Sales.Notebook")
    assert created.index("Sales Model.SemanticModel") < created.index("Sales Report.Report")


def test_first_deploy_is_journaled_and_publishes_its_events(world: World) -> None:
    result = deploy(world)

    with world.app.uow as uow:
        journal = uow.transactions.get(result.transaction_id)
    assert journal is not None and journal.state.value == "committed"
    assert [s.action.value for s in journal.steps] == ["create_folder"] + ["create"] * 4
    assert all(s.outcome.value == "succeeded" for s in journal.steps)
    assert world.event_types() == ["DeploymentStarted"] + ["ItemDeployed"] * 5 + ["TransactionCommitted"]


def test_redeploying_unchanged_source_writes_nothing(world: World) -> None:
    deploy(world)
    before = world.workspace_items("Sales (dev)")

    again = deploy(world, message_id="m-2")

    assert again.succeeded
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert world.workspace_items("Sales (dev)") == before
    assert plan(world).counts() == {"create": 0, "update": 0, "delete": 0, "no-op": 4}


def test_plan_after_editing_one_notebook_shows_exactly_that_update(world: World) -> None:
    deploy(world)
    world.set_source(source_items(notebook_extra="print('hello')\n"))

    result = plan(world)

    updates = [c for c in result.changes if c.kind is ChangeKind.UPDATE]
    assert [str(c.key) for c in updates] == ["Load Sales.Notebook"]
    assert updates[0].changed_parts == ("notebook-content.py",)
    assert result.counts()["no-op"] == 3


def test_parameters_are_applied_per_environment(world: World) -> None:
    deploy(world, "test")

    notebook = world.definition_text("Sales (test)", "Load Sales.Notebook", "notebook-content.py")
    assert "abfss://test@onelake/sales" in notebook and "abfss://dev@onelake" not in notebook


def test_a_repeated_message_is_handled_once(world: World) -> None:
    first = deploy(world, message_id="same")
    world.set_source(source_items(notebook_extra="# changed\n"))

    second = deploy(world, message_id="same")

    assert first.succeeded and second is None
    with world.app.uow as uow:
        assert len(uow.transactions.list()) == 1


def test_unknown_environment_is_refused_before_anything_changes(world: World) -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        deploy(world, "qa")

    assert caught.value.subject == CONFIG and "dev, test, prod" in caught.value.message
    assert world.app.gateway.find_workspace("Sales (qa)") is None
    with world.app.uow as uow:
        assert uow.transactions.list() == [] and uow.outbox.list() == []


def test_a_failed_item_skips_what_depends_on_it_and_fails_the_transaction(world: World) -> None:
    world.gateway.fail_on = "Sales Model"

    result = deploy(world, on_error="continue")

    assert result.state == "failed"
    statuses = {o.item: o.status for o in result.outcomes}
    assert statuses["Sales Model.SemanticModel"] == "failed"
    assert statuses["Sales Report.Report"] == "skipped"
    assert statuses["Load Sales.Notebook"] == "done"
    assert "Sales Report.Report" not in world.workspace_items("Sales (dev)")
    assert world.event_types()[-1] == "DeploymentFailed"


def test_on_error_stop_skips_every_item_after_the_failure(world: World) -> None:
    world.gateway.fail_on = "Sales"  # the lakehouse: the first item in dependency order

    result = deploy(world, on_error="stop", max_workers=1)  # one at a time: nothing else is in flight

    assert result.state == "failed"
    assert [o.status for o in result.outcomes if o.action != "create_folder"] == ["failed"] + ["skipped"] * 3
    assert world.workspace_items("Sales (dev)") == {}


def test_rollback_restores_the_workspace_exactly(world: World) -> None:
    deploy(world)
    ws = world.app.gateway.find_workspace("Sales (dev)")
    assert ws is not None
    snapshot = world.gateway._inner  # the same tenant, seen without the fault injection

    def state() -> dict[str, object]:
        return {str(i.key): (i.description, snapshot.get_definition(ws.id, i.id)) for i in snapshot.list_items(ws.id)}

    before = state()
    model = next(i for i in source_items() if i.name == "Sales Model")
    changed_model = model.with_definition(
        ItemDefinition.of([*model.definition.parts, DefinitionPart.from_text("definition/x.tmdl", "table X\n")])
    )
    edited = source_items(notebook_extra="# changed\n")
    world.set_source([changed_model if i.name == "Sales Model" else i for i in edited])
    world.gateway.fail_on = "Sales Model"

    result = deploy(world, message_id="m-2", on_error="rollback")

    assert result.state == "rolled_back"
    assert state() == before
    assert {o.item: o.status for o in result.outcomes}["Load Sales.Notebook"] == "undone"
    assert world.event_types()[-2:] == ["DeploymentFailed", "TransactionRolledBack"]


def test_protected_environments_roll_back_by_default(world: World) -> None:
    world.gateway.fail_on = "Sales Report"

    result = deploy(world, "prod")

    assert result.state == "rolled_back"
    assert world.workspace_items("Sales (prod)") == {}
