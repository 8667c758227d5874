"""The planner binds, hashes and compares one item at a time: it keeps each item's references (found
once), not its definitions, and keeps a live definition only for an item it will write."""

from __future__ import annotations

from fabctl.application.handlers.deployment import prepare_plan
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.items import ItemKey

from .world import SOURCE, World, source_items

LAKEHOUSE = ItemKey("Lakehouse", "Sales")
NOTEBOOK = ItemKey("Notebook", "Load Sales")
MODEL = ItemKey("SemanticModel", "Sales Model")
REPORT = ItemKey("Report", "Sales Report")


def test_the_prepared_deployment_exposes_each_planned_items_references(world: World) -> None:
    app = world.app

    prepared = prepare_plan(app.reader, app.gateway, app.uow, SOURCE, "dev")

    # The notebook's META names the lakehouse by logical id; the report binds to the model by path.
    assert dict(prepared.references) == {
        LAKEHOUSE: frozenset(),
        NOTEBOOK: frozenset({LAKEHOUSE}),
        MODEL: frozenset(),
        REPORT: frozenset({MODEL}),
    }


def test_a_refreshed_plan_reads_each_live_definition_once_and_keeps_only_the_changed_ones(world: World) -> None:
    app = world.app
    app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    world.set_source(source_items(notebook_extra="print('hello')\n"))
    reads_before = world.gateway.definition_reads

    prepared = prepare_plan(app.reader, app.gateway, app.uow, SOURCE, "dev", refresh=True)

    planned = world.gateway.definition_reads - reads_before
    assert planned == 3  # the notebook, the model and the report; a lakehouse is deployed as a shell only
    assert set(prepared.desired) == {NOTEBOOK}
    prepared.view.definition(NOTEBOOK)  # to be written: kept for the diff and the journal's before-image
    assert world.gateway.definition_reads - reads_before == planned
    prepared.view.definition(MODEL)  # unchanged: dropped once compared, so read again when asked
    assert world.gateway.definition_reads - reads_before == planned + 1


def test_the_desired_definition_is_bound_again_on_each_access(world: World) -> None:
    app = world.app
    app.bus.handle(ExecuteDeployment("m-1", SOURCE, "dev", "tester"))
    world.set_source(source_items(notebook_extra="print('hello')\n"))

    prepared = prepare_plan(app.reader, app.gateway, app.uow, SOURCE, "dev")

    first, second = prepared.desired[NOTEBOOK], prepared.desired[NOTEBOOK]
    assert first == second and first is not second  # equal content, none of it held by the plan
    assert MODEL not in prepared.desired and prepared.desired.get(MODEL) is None
