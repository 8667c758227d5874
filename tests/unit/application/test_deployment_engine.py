"""The deployment engine: parallel, dependency-driven execution, change detection, moves, orphans,
selection and failure policies, asserted on what the (local) workspace holds afterwards."""

from __future__ import annotations

import threading

import pytest

from fabctl.adapters.telemetry.progress import RecordingProgress
from fabctl.application.deployment.planner import DRIFT
from fabctl.application.deployment.results import DeploymentResult
from fabctl.application.handlers.deployment import execute_deployment, plan_deployment
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import DependencyCycle, NotFound
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.plan import ChangeKind, DeploymentPlan
from fabctl.domain.workspace import Workspace

from .world import CONFIG, DEADLINE_SECONDS, SOURCE, World, ended, reported, source_items, started

DEV = "Sales (dev)"


def deploy(world: World, message_id: str = "m-1", **kwargs: object) -> DeploymentResult:
    result = world.app.bus.handle(ExecuteDeployment(message_id, SOURCE, "dev", "tester", **kwargs))  # type: ignore[arg-type]
    assert isinstance(result, DeploymentResult)
    return result


def plan(world: World, **kwargs: object) -> DeploymentPlan:
    app = world.app
    return plan_deployment(app.reader, app.gateway, app.uow, SOURCE, "dev", **kwargs)  # type: ignore[arg-type]


def notebook(name: str, number: int, folder: str = "", text: str = "print(1)\n") -> Item:
    guid = f"{number:08d}-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    part = DefinitionPart.from_text("notebook-content.py", text)
    return Item(ItemKey("Notebook", name), LogicalId(guid), folder=folder, definition=ItemDefinition.of([part]))


def folder_of(world: World, key: str) -> str:
    """The folder path ("" = root) an item of the dev workspace is in."""
    gateway = world.app.gateway
    ws = gateway.find_workspace(DEV)
    assert ws is not None
    folders = {f.id: f for f in gateway.list_folders(ws.id)}
    item = next(i for i in gateway.list_items(ws.id) if str(i.key) == key)
    path, folder_id = [], item.folder_id
    while folder_id:
        path.insert(0, folders[folder_id].name)
        folder_id = folders[folder_id].parent_id
    return "/".join(path)


def folder_names(world: World) -> set[str]:
    ws = world.app.gateway.find_workspace(DEV)
    assert ws is not None
    return {f.name for f in world.app.gateway.list_folders(ws.id)}


# --- order and concurrency ----------------------------------------------------------------------


def test_independent_items_are_written_in_parallel_within_the_worker_bound(world: World) -> None:
    # Each write waits until three are in flight together: it fails unless the workers run three at
    # a time, and a fourth one at once would show in the most seen in flight.
    three = threading.Barrier(3, timeout=DEADLINE_SECONDS)
    world.set_source([notebook(f"N{i:02d}", i) for i in range(12)])
    world.gateway.gates = {f"N{i:02d}": three.wait for i in range(12)}

    result = deploy(world, max_workers=3)

    assert result.succeeded
    assert len(world.workspace_items(DEV)) == 12
    assert world.gateway.max_in_flight == 3


def test_one_worker_writes_one_item_at_a_time(world: World) -> None:
    world.set_source([notebook(f"N{i:02d}", i) for i in range(4)])

    assert deploy(world, max_workers=1).succeeded
    assert world.gateway.max_in_flight == 1
    writes = [entry for entry in world.gateway.log if entry[0] in ("start", "end")]
    assert writes == [(edge, f"N{i:02d}") for i in range(4) for edge in ("start", "end")]


# What each item of world.source_items() refers to, read off its definition by hand: the notebook's
# default lakehouse is Sales; the report's definition.pbir binds by path to Sales Model.
REFERENCES = {"Load Sales": {"Sales"}, "Sales Report": {"Sales Model"}}


def test_no_item_starts_before_everything_it_references_is_created(world: World) -> None:
    # Held writes leave room for a dependent to start too early: Sales until the report has ended,
    # Sales Model until Sales has started.
    world.gateway.hold("Sales", ended("Sales Report"), "the report to end")
    world.gateway.hold("Sales Model", started("Sales"), "Sales to start")

    assert deploy(world).succeeded

    log = world.gateway.log
    for item, needed in REFERENCES.items():
        for name in needed:
            assert log.index(("end", name)) < log.index(("start", item)), f"{item} started before {name} was created"


def test_an_item_waits_only_for_what_it_references_not_for_a_whole_level(world: World) -> None:
    # Level by level, the report (it needs the model) would wait for the lakehouse too, which waits
    # for the report: the held write would run out of time and the deployment fail.
    world.gateway.hold("Sales", ended("Sales Report"), "the report to end")

    assert deploy(world).succeeded

    log = world.gateway.log
    assert log.index(("end", "Sales Report")) < log.index(("end", "Sales"))


def test_a_cycle_is_refused_naming_its_items_before_anything_is_written(world: World) -> None:
    first, second = notebook("Ping", 1), notebook("Pong", 2)
    ping = notebook("Ping", 1, text=f"# calls {second.logical_id}\n")
    pong = notebook("Pong", 2, text=f"# calls {first.logical_id}\n")
    world.set_source([ping, pong, notebook("Alone", 3)])

    with pytest.raises(DependencyCycle) as caught:
        deploy(world)

    assert "Ping.Notebook" in caught.value.message and "Pong.Notebook" in caught.value.message
    assert "Alone" not in caught.value.message
    assert world.app.gateway.find_workspace(DEV) is None


def test_progress_reports_every_outcome_once_as_items_finish(world: World) -> None:
    progress = RecordingProgress()
    app = world.app
    command = ExecuteDeployment("m-1", SOURCE, "dev", "tester")

    result = execute_deployment(
        command, uow=app.uow, gateway=app.gateway, reader=app.reader, clock=app.clock,
        ids=app.ids, telemetry=app.telemetry, progress=progress,
    )  # fmt: skip

    seen = progress.outcomes
    assert [p.workspace_name for p in progress.plans] == ["Sales (dev)"]
    assert sorted(seen, key=str) == sorted(result.outcomes, key=str)  # the report itself follows the plan
    assert sorted(o.item for o in seen) == sorted(["Notebooks"] + [str(i.key) for i in source_items()])
    reported = [o.item for o in seen]
    # An item finishes after what it references, so it is reported after it (REFERENCES, and the
    # notebook's folder before the notebook).
    assert reported.index("Sales.Lakehouse") < reported.index("Load Sales.Notebook")
    assert reported.index("Notebooks") < reported.index("Load Sales.Notebook")
    assert reported.index("Sales Model.SemanticModel") < reported.index("Sales Report.Report")
    assert app.telemetry.counters["fabctl.items_deployed"] == len(source_items())  # type: ignore[attr-defined]


# --- change detection ---------------------------------------------------------------------------


def test_a_no_op_plan_and_deploy_read_no_definition_when_records_match(world: World) -> None:
    deploy(world)
    world.gateway.definition_reads = 0

    again = plan(world)
    redeployed = deploy(world, message_id="m-2")

    assert again.counts() == {"create": 0, "update": 0, "delete": 0, "no-op": 4}
    assert {o.status for o in redeployed.outcomes} == {"unchanged"}
    assert world.gateway.definition_reads == 0


def test_a_source_change_reads_only_the_changed_items_definition(world: World) -> None:
    deploy(world)
    world.set_source(source_items(notebook_extra="print('hello')\n"))
    world.gateway.definition_reads = 0

    result = plan(world)

    assert [str(c.key) for c in result.writes] == ["Load Sales.Notebook"]
    assert result.writes[0].changed_parts == ("notebook-content.py",)
    assert world.gateway.definition_reads == 1


def test_items_without_a_record_are_compared_with_the_live_definition(world: World) -> None:
    deploy(world)
    ws = world.app.gateway.find_workspace(DEV)
    assert ws is not None
    with world.app.uow as uow:
        for item in source_items():
            uow.deployments.remove(ws.id, item.key)
        uow.commit()
    world.gateway.definition_reads = 0

    result = plan(world)

    assert result.counts()["no-op"] == 4
    assert world.gateway.definition_reads == 3  # every item but the shell-only lakehouse


def test_refresh_finds_a_manual_change_and_deploy_repairs_it(world: World) -> None:
    deploy(world)
    deployed = world.definition_text(DEV, "Load Sales.Notebook", "notebook-content.py")
    ws = world.app.gateway.find_workspace(DEV)
    assert ws is not None
    item_id = world.workspace_items(DEV)["Load Sales.Notebook"]
    tampered = ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print('edited in the portal')\n")])
    world.gateway._inner.update_definition(ws.id, item_id, tampered)

    trusting = plan(world)
    refreshed = plan(world, refresh=True)
    repaired = deploy(world, message_id="m-2", refresh=True)

    assert trusting.counts()["update"] == 0  # the records say it is as deployed
    assert [str(c.key) for c in refreshed.drifted] == ["Load Sales.Notebook"]
    assert refreshed.drifted[0].kind is ChangeKind.UPDATE and DRIFT in refreshed.drifted[0].reason
    assert repaired.succeeded
    assert world.definition_text(DEV, "Load Sales.Notebook", "notebook-content.py") == deployed


def test_the_prepared_deployment_exposes_desired_and_current_definitions(world: World) -> None:
    from fabctl.application.handlers.deployment import prepare_plan

    deploy(world)
    world.set_source(source_items(notebook_extra="print('hello')\n"))
    app = world.app

    prepared = prepare_plan(app.reader, app.gateway, app.uow, SOURCE, "dev")

    key = ItemKey("Notebook", "Load Sales")
    assert set(prepared.desired) == {key}
    desired, current = prepared.desired[key].part("notebook-content.py"), prepared.view.definition(key)
    assert desired is not None and desired.text is not None and "print('hello')" in desired.text
    current_text = current.part("notebook-content.py")
    assert current_text is not None and current_text.text is not None and "hello" not in current_text.text


# --- folders ------------------------------------------------------------------------------------


def moved_source(folder: str) -> list[Item]:
    from dataclasses import replace

    return [replace(i, folder=folder) if i.name == "Load Sales" else i for i in source_items()]


def test_an_item_whose_folder_differs_is_moved_and_journaled(world: World) -> None:
    deploy(world)
    world.set_source(moved_source("Pipelines/Daily"))

    planned = plan(world)
    result = deploy(world, message_id="m-2")

    assert [(str(c.key), c.kind) for c in planned.writes] == [("Load Sales.Notebook", ChangeKind.UPDATE)]
    assert "folder differs" in planned.writes[0].reason
    assert planned.folders_to_create == ("Pipelines", "Pipelines/Daily")
    assert result.succeeded and folder_of(world, "Load Sales.Notebook") == "Pipelines/Daily"
    with world.app.uow as uow:
        journal = uow.transactions.get(result.transaction_id)
    assert journal is not None
    assert [s.action.value for s in journal.steps] == ["create_folder", "create_folder", "move"]
    assert plan(world).counts()["update"] == 0


def test_moving_back_to_the_root(world: World) -> None:
    deploy(world)
    world.set_source(moved_source(""))

    assert deploy(world, message_id="m-2").succeeded
    assert folder_of(world, "Load Sales.Notebook") == ""


def test_rollback_moves_the_item_back_and_removes_the_new_folders(world: World) -> None:
    deploy(world)
    model = next(i for i in source_items() if i.name == "Sales Model")
    changed_model = model.with_definition(
        ItemDefinition.of([*model.definition.parts, DefinitionPart.from_text("definition/x.tmdl", "table X\n")])
    )
    world.set_source([changed_model if i.name == "Sales Model" else i for i in moved_source("Archive")])
    world.gateway.fail_on = "Sales Model"
    world.gateway.hold("Sales Model", ended("Load Sales"), "the move to end")  # the move is done before the failure

    result = deploy(world, message_id="m-2", on_error="rollback")

    assert result.state == "rolled_back"
    assert {o.item: o.status for o in result.outcomes}["Load Sales.Notebook"] == "undone"
    assert folder_of(world, "Load Sales.Notebook") == "Notebooks"
    assert folder_names(world) == {"Notebooks"}


def test_an_item_whose_folder_could_not_be_created_fails_instead_of_landing_in_the_root(world: World) -> None:
    world.gateway.fail_on = "Notebooks"

    result = deploy(world, on_error="continue")

    statuses = {o.item: o.status for o in result.outcomes}
    assert statuses["Notebooks"] == "failed" and statuses["Load Sales.Notebook"] == "failed"
    assert set(world.workspace_items(DEV)) == {str(i.key) for i in source_items() if i.name != "Load Sales"}


# --- orphans ------------------------------------------------------------------------------------


def test_orphans_are_deleted_only_when_asked_and_data_items_only_when_named(world: World) -> None:
    deploy(world)
    kept = [i for i in source_items() if i.type in ("SemanticModel", "Report")]
    world.set_source(kept)

    without_flag = deploy(world, message_id="m-2")
    assert set(world.workspace_items(DEV)) == {str(i.key) for i in source_items()}
    with_flag = deploy(world, message_id="m-3", delete_orphans=True)
    named = deploy(world, message_id="m-4", delete_orphans=True, delete_data_items=("Sales.Lakehouse",))

    assert without_flag.succeeded and with_flag.succeeded and named.succeeded
    assert [(o.item, o.action) for o in with_flag.outcomes if o.status == "done"] == [("Load Sales.Notebook", "delete")]
    assert [(o.item, o.action) for o in named.outcomes if o.status == "done"] == [("Sales.Lakehouse", "delete")]
    assert set(world.workspace_items(DEV)) == {"Sales Model.SemanticModel", "Sales Report.Report"}
    assert plan(world, delete_orphans=True).counts()["delete"] == 0  # the records of deleted items are gone


def test_items_fabctl_did_not_deploy_from_this_source_are_never_orphans(world: World) -> None:
    deploy(world)
    other = "src/other"
    world.reader.workspaces[other] = Workspace.of("other", [notebook("Other Team", 7)])
    world.app.bus.handle(ExecuteDeployment("m-other", other, "dev", "tester", config_path=CONFIG))
    ws = world.app.gateway.find_workspace(DEV)
    assert ws is not None
    world.app.gateway.create_item(ws.id, "Notebook", "Made By Hand")

    result = deploy(world, message_id="m-2", delete_orphans=True)

    assert result.succeeded and not [o for o in result.outcomes if o.action == "delete"]
    assert {"Other Team.Notebook", "Made By Hand.Notebook"} <= set(world.workspace_items(DEV))


# --- selection ----------------------------------------------------------------------------------


def planned_keys(result: DeploymentPlan) -> set[str]:
    return {str(c.key) for c in result.changes}


def test_selection_by_name_type_folder_and_exclusion(world: World) -> None:
    assert deploy(world, "whole").succeeded  # what a selection leaves out is in the target: nothing dangles
    assert planned_keys(plan(world, items=("Sales Report.Report",))) == {"Sales Report.Report"}
    assert planned_keys(plan(world, items=("Sales.*",))) == {
        "Sales.Lakehouse", "Sales Model.SemanticModel", "Sales Report.Report",
    }  # fmt: skip
    assert planned_keys(plan(world, item_types=("Report|SemanticModel",))) == {
        "Sales Model.SemanticModel", "Sales Report.Report",
    }  # fmt: skip
    assert planned_keys(plan(world, folders=("Notebooks",))) == {"Load Sales.Notebook"}
    without = plan(world, exclude=("Notebooks", "Report"))
    assert planned_keys(without) == {"Sales.Lakehouse", "Sales Model.SemanticModel"}


def test_with_dependencies_pulls_in_what_the_selection_references(world: World) -> None:
    assert deploy(world, "whole").succeeded  # what a selection leaves out is in the target: nothing dangles
    only = plan(world, items=("Load Sales",))
    with_deps = plan(world, items=("Load Sales",), with_dependencies=True)
    excluded = plan(world, items=("Sales Report.Report",), with_dependencies=True, exclude=("Sales Model",))

    assert planned_keys(only) == {"Load Sales.Notebook"}
    assert planned_keys(with_deps) == {"Load Sales.Notebook", "Sales.Lakehouse"}
    assert planned_keys(excluded) == {"Sales Report.Report"}


def test_a_selective_deploy_writes_only_the_selection(world: World) -> None:
    result = deploy(world, items=("Sales Report.Report",), with_dependencies=True)

    assert result.succeeded
    assert set(world.workspace_items(DEV)) == {"Sales Model.SemanticModel", "Sales Report.Report"}


def test_a_selected_name_that_matches_nothing_is_refused(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        plan(world, items=("Sales Reprot.Report",))
    assert caught.value.field == "items"


# --- failure policies under concurrency ---------------------------------------------------------


def failing_source() -> list[Item]:
    # "A Broken" sorts first, so it starts with the first slow one; the others wait for a worker.
    return [notebook("A Broken", 99)] + [notebook(f"Slow {i}", i) for i in range(5)]


def fail_while_in_flight(world: World, in_flight: list[str]) -> None:
    """ "A Broken" fails once the writes to `in_flight` have started; they end once its failure is recorded.

    Every other slow write waits for the failure too, should it start before (it must not, with
    `stop` or `rollback`).
    """
    world.gateway.fail_on = "A Broken"
    world.gateway.hold("A Broken", started(*in_flight), f"{', '.join(in_flight)} to start")
    for name in [f"Slow {i}" for i in range(5)]:
        world.gateway.hold(name, reported("A Broken.Notebook", "failed"), "A Broken to fail")


def test_stop_starts_nothing_after_a_failure_and_reports_every_item(world: World) -> None:
    world.set_source(failing_source())
    fail_while_in_flight(world, ["Slow 0"])

    result = deploy(world, on_error="stop", max_workers=2)

    statuses = {o.item: o.status for o in result.outcomes}
    assert result.state == "failed"
    assert len(result.outcomes) == 6 and set(statuses) == {str(i.key) for i in failing_source()}
    assert statuses["A Broken.Notebook"] == "failed"
    done = {k for k, s in statuses.items() if s == "done"}
    assert done == {"Slow 0.Notebook"}  # the one in flight when the failure happened finishes
    assert all(s == "skipped" for k, s in statuses.items() if k not in done | {"A Broken.Notebook"})
    assert set(world.workspace_items(DEV)) == done


def test_continue_deploys_everything_that_does_not_depend_on_the_failure(world: World) -> None:
    base = notebook("A Broken", 99)
    dependent = notebook("Uses Broken", 98, text=f"# uses {base.logical_id}\n")
    world.set_source([base, dependent] + [notebook(f"Slow {i}", i) for i in range(5)])
    fail_while_in_flight(world, ["Slow 0", "Slow 1"])

    result = deploy(world, on_error="continue", max_workers=3)

    statuses = {o.item: o.status for o in result.outcomes}
    assert result.state == "failed" and len(result.outcomes) == 7
    assert statuses["A Broken.Notebook"] == "failed" and statuses["Uses Broken.Notebook"] == "skipped"
    assert set(world.workspace_items(DEV)) == {f"Slow {i}.Notebook" for i in range(5)}


def test_rollback_under_concurrency_leaves_the_workspace_as_it_was(world: World) -> None:
    world.set_source(failing_source()[1:])
    deploy(world)
    before = world.workspace_items(DEV)
    world.set_source([notebook(f"Slow {i}", i, text="print(2)\n") for i in range(5)] + [notebook("A Broken", 99)])
    fail_while_in_flight(world, ["Slow 0", "Slow 1", "Slow 2"])

    result = deploy(world, message_id="m-2", on_error="rollback", max_workers=4)

    assert result.state == "rolled_back"
    # "A Broken" sorts first: it starts with Slow 0 to 2, which were in flight when it failed.
    statuses = {o.item: o.status for o in result.outcomes}
    assert statuses == {
        "A Broken.Notebook": "failed",
        **{f"Slow {i}.Notebook": "undone" for i in range(3)},
        **{f"Slow {i}.Notebook": "skipped" for i in (3, 4)},
    }
    assert world.workspace_items(DEV) == before
    for i in range(5):
        assert world.definition_text(DEV, f"Slow {i}.Notebook", "notebook-content.py") == "print(1)\n"


# --- a Fabric failure while binding ---------------------------------------------------------------


def test_a_fabric_failure_while_binding_an_item_fails_the_item_and_the_deployment_ends(world: World) -> None:
    # The notebook's parameter names the lakehouse's SQL endpoint: binding it for writing asks Fabric
    # once the lakehouse exists. Fabric failing that read is the item's failure, not the run's crash.
    from fabctl.application.errors import GatewayError
    from fabctl.domain.parameters import FindReplace, ParameterRules

    from .world import PARAMETERS

    rule = FindReplace(
        "abfss://dev@onelake", {"dev": "$items.Lakehouse.Sales.$sqlendpoint"}, origin=f"{PARAMETERS}: find_replace[0]"
    )
    world.reader.parameters[PARAMETERS] = ParameterRules((rule,), source=PARAMETERS)

    def unavailable(workspace_id: str, item_type: str, item_id: str, attribute: str) -> str:
        raise GatewayError("The service is unavailable", error_code="ServiceUnavailable", status=503)

    world.gateway.get_item_attribute = unavailable  # type: ignore[method-assign]

    result = deploy(world)

    assert result.state == "failed"
    failed = {o.item: o.detail for o in result.outcomes if o.status == "failed"}
    assert set(failed) == {"Load Sales.Notebook"}
    assert "ServiceUnavailable" in failed["Load Sales.Notebook"]
    assert "Load Sales.Notebook" not in world.workspace_items(DEV)
    with world.app.uow:
        [tx] = world.app.uow.transactions.list()
        lease = world.app.uow.leases.get(tx.workspace_id)
    assert tx.state.value == "failed"
    assert lease is None  # released: the next deployment may go
