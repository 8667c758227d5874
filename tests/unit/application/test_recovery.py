"""One deployment per workspace at a time (the lease), and none over an unfinished transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fabctl.application.handlers.deployment import plan_deployment
from fabctl.application.ports import DEFAULT_LEASE_TERM
from fabctl.domain.commands import ExecuteDeployment, RecoverTransaction
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import IllegalTransition
from fabctl.domain.plan import ChangeKind
from fabctl.domain.transaction import (
    ItemImage,
    JournaledInputs,
    StepAction,
    Transaction,
    TransactionState,
    UnfinishedTransaction,
    WorkspaceBusy,
)

from .world import SOURCE, World, source_items


def deploy(world: World, message_id: str):  # type: ignore[no-untyped-def]
    return world.app.bus.handle(ExecuteDeployment(message_id, SOURCE, "dev", "tester"))


def workspace_id(world: World) -> str:
    ws = world.app.gateway.find_workspace("Sales (dev)")
    assert ws is not None
    return ws.id


def notebook(world: World) -> str:
    return world.definition_text("Sales (dev)", "Load Sales.Notebook", "notebook-content.py")


def transaction_ids(world: World) -> list[str]:
    with world.app.uow as uow:
        return [t.id for t in uow.transactions.list()]


def test_a_deployment_releases_the_workspace_lease_when_it_ends(world: World) -> None:
    first = deploy(world, "m-1")
    world.set_source(source_items("print('v2')\n"))
    second = deploy(world, "m-2")

    with world.app.uow as uow:
        lease = uow.leases.get(workspace_id(world))
    assert (first.state, second.state) == ("committed", "committed")
    assert lease is None
    assert "print('v2')" in notebook(world)


def test_a_deployment_while_another_holds_the_lease_is_refused_naming_it_and_writes_nothing(world: World) -> None:
    deploy(world, "m-1")
    before = notebook(world)
    ws = workspace_id(world)
    with world.app.uow as uow:
        assert uow.leases.acquire(ws, "tx-running", world.clock.now() + timedelta(minutes=5))
        uow.commit()
    known = transaction_ids(world)
    world.set_source(source_items("print('v2')\n"))

    with pytest.raises(WorkspaceBusy, match=r"transaction tx-running \(since .*\) is deploying to this workspace"):
        deploy(world, "m-2")

    assert notebook(world) == before
    assert transaction_ids(world) == known  # the refused deployment left no transaction


def test_a_crashed_holders_lease_runs_out_and_the_next_deployment_proceeds(world: World) -> None:
    deploy(world, "m-1")
    ws = workspace_id(world)
    with world.app.uow as uow:
        uow.leases.acquire(ws, "tx-gone", world.clock.now() + DEFAULT_LEASE_TERM)
        uow.commit()
    world.clock.advance(DEFAULT_LEASE_TERM.total_seconds())
    world.set_source(source_items("print('v2')\n"))

    result = deploy(world, "m-2")

    assert result.state == "committed"
    assert "print('v2')" in notebook(world)


@pytest.mark.parametrize("state", [TransactionState.STARTED, TransactionState.ROLLING_BACK])
def test_a_deployment_over_an_unfinished_transaction_is_refused_and_points_to_recover(
    world: World, state: TransactionState
) -> None:
    deploy(world, "m-1")
    before = notebook(world)
    ws = workspace_id(world)
    stuck = Transaction.start("tx-stuck", ws, "dev", world.clock.now(), SOURCE)
    stuck.record_intent(StepAction.UPDATE, "Load Sales.Notebook", "item-x", None)
    if state is TransactionState.ROLLING_BACK:
        stuck.begin_rollback()
    with world.app.uow as uow:
        uow.transactions.add(stuck)
        uow.commit()
    world.set_source(source_items("print('v2')\n"))

    with pytest.raises(UnfinishedTransaction) as refused:
        deploy(world, "m-2")

    message = str(refused.value)
    assert f"transaction tx-stuck on this workspace is unfinished ({state.value})" in message
    assert "fabctl tx recover tx-stuck --rollback" in message and "--resume" in message
    assert notebook(world) == before


def test_a_failed_transaction_does_not_block_the_next_deployment(world: World) -> None:
    world.gateway.fail_on = "Sales Report"
    failed = deploy(world, "m-1")
    world.gateway.fail_on = None

    result = deploy(world, "m-2")

    assert (failed.state, result.state) == ("failed", "committed")
    assert "Sales Report.Report" in world.workspace_items("Sales (dev)")


# --- tx recover -------------------------------------------------------------------------------


def recover(world: World, transaction_id: str, mode: str, **kwargs: object):  # type: ignore[no-untyped-def]
    command = RecoverTransaction(f"r-{mode}", transaction_id, mode, "tester", **kwargs)  # type: ignore[arg-type]
    return world.app.bus.handle(command)


def crash_first_deployment(world: World) -> tuple[str, str]:
    """A first deployment killed mid-way, journaled as the executor does, with its lease still held.

    Folder and Lakehouse were written but their outcomes never journaled; the model's intent was
    journaled, its create never sent. Returns (workspace id, the Lakehouse's id).
    """
    gateway = world.app.gateway
    ws = gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-crashed", ws, "dev", world.clock.now(), SOURCE)
    tx.record_intent(StepAction.CREATE_FOLDER, "Notebooks", None, None)
    gateway.create_folder(ws, "Notebooks")
    tx.record_intent(StepAction.CREATE, "Sales.Lakehouse", None, None)
    lakehouse = gateway.create_item(ws, "Lakehouse", "Sales").id
    tx.record_intent(StepAction.CREATE, "Sales Model.SemanticModel", None, None)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.leases.acquire(ws, tx.id, world.clock.now() + DEFAULT_LEASE_TERM)
        uow.commit()
    return ws, lakehouse


def test_recover_refuses_while_the_transaction_may_still_be_running_unless_forced(world: World) -> None:
    crash_first_deployment(world)

    with pytest.raises(WorkspaceBusy, match=r"may still be running.*--force"):
        recover(world, "tx-crashed", "rollback")


def test_recover_rollback_resolves_unknown_steps_by_reading_and_leaves_the_workspace_as_before(
    world: World,
) -> None:
    ws, _ = crash_first_deployment(world)

    result = recover(world, "tx-crashed", "rollback", force=True)

    assert result.state == "rolled_back" and result.succeeded
    assert result.resolved == [
        "step 1 create_folder Notebooks: done, the folder exists",
        "step 2 create Sales.Lakehouse: done, the item exists: adopted",
        "step 3 create Sales Model.SemanticModel: not done, the item does not exist",
    ]
    assert world.workspace_items("Sales (dev)") == {}
    assert world.app.gateway.list_folders(ws) == []
    with world.app.uow as uow:
        tx = uow.transactions.get("tx-crashed")
        lease = uow.leases.get(ws)
    assert tx is not None and [s.outcome.value for s in tx.steps] == ["undone", "undone", "failed"]
    assert lease is None
    assert world.event_types()[-1] == "TransactionRolledBack"
    assert deploy(world, "m-after").state == "committed"  # the workspace is free again


def test_recover_resume_completes_the_deployment_without_duplicating_what_was_created(world: World) -> None:
    ws, lakehouse = crash_first_deployment(world)

    result = recover(world, "tx-crashed", "resume", force=True)

    # Its third step never happened, so it ends failed; the new transaction did the rest.
    assert result.succeeded and result.state == "failed"
    assert result.deployment.state == "committed"
    items = world.workspace_items("Sales (dev)")
    assert set(items) == {str(i.key) for i in source_items()}  # no duplicates: one id per key
    assert len(world.app.gateway.list_items(ws)) == len(source_items())
    assert items["Sales.Lakehouse"] == lakehouse  # adopted, not created again
    app = world.app
    again = plan_deployment(app.reader, app.gateway, app.uow, SOURCE, "dev")
    assert {c.kind for c in again.changes} == {ChangeKind.NO_OP}  # what an uninterrupted deploy leaves
    with app.uow as uow:
        resumed = uow.transactions.get(result.deployment.transaction_id)
    assert resumed is not None and resumed.resumes == "tx-crashed"
    assert "TransactionCommitted" in world.event_types()


def test_an_update_whose_outcome_is_unknown_is_undone_when_it_landed(world: World) -> None:
    deploy(world, "m-1")
    ws = workspace_id(world)
    before_text = notebook(world)
    item_id = world.workspace_items("Sales (dev)")["Load Sales.Notebook"]
    gateway = world.app.gateway
    remote = next(i for i in gateway.list_items(ws) if i.id == item_id)
    image = ItemImage(item_id, "Notebook", remote.name, remote.description, "Notebooks",
                      gateway.get_definition(ws, item_id).without_platform())  # fmt: skip
    tx = Transaction.start("tx-update", ws, "dev", world.clock.now(), SOURCE)
    tx.record_intent(StepAction.UPDATE, "Load Sales.Notebook", item_id, image)
    changed = ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print('half way')\n")])
    gateway.update_definition(ws, item_id, changed)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()

    result = recover(world, "tx-update", "rollback")

    assert result.resolved == ["step 1 update Load Sales.Notebook: done, the item differs from its before-image"]
    assert result.state == "rolled_back"
    assert notebook(world) == before_text


def test_the_recoverer_is_recorded_with_its_object_id_when_signed_in(world: World) -> None:
    crash_first_deployment(world)

    recover(world, "tx-crashed", "rollback", force=True, actor_object_id="0bj3c7-1d")

    with world.app.uow as uow:
        tx = uow.transactions.get("tx-crashed")
    assert tx is not None and (tx.recovered_by, tx.recovered_by_object_id) == ("tester", "0bj3c7-1d")


def test_recovering_a_finished_transaction_is_refused(world: World) -> None:
    done = deploy(world, "m-1")

    with pytest.raises(IllegalTransition, match="is committed: there is nothing to rollback"):
        recover(world, done.transaction_id, "rollback")


def test_resume_commits_an_interrupted_transaction_once_everything_it_planned_is_found_in_place(
    world: World,
) -> None:
    deploy(world, "m-1")
    world.set_source(source_items("print('v2')\n"))
    deploy(world, "m-2")  # what the interrupted transaction below wrote: its write landed and was journaled
    ws = workspace_id(world)
    item_id = world.workspace_items("Sales (dev)")["Load Sales.Notebook"]
    world.clock.advance(1)
    tx = Transaction.start("tx-nearly", ws, "dev", world.clock.now(), SOURCE)
    tx.scope = ("Load Sales.Notebook",)
    tx.record_intent(StepAction.UPDATE, "Load Sales.Notebook", item_id, None)
    tx.record_success(1, item_id)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()

    result = recover(world, "tx-nearly", "resume")

    assert result.state == "committed" and result.deployment.state == "committed"
    with world.app.uow as uow:
        resumed = uow.transactions.get(result.deployment.transaction_id)
    assert resumed is not None and resumed.steps == []  # nothing was left to do
    committed = [m.payload["transaction_id"] for m in world.app.publisher.published if m.type == "TransactionCommitted"]  # type: ignore[attr-defined]
    assert committed[-2:] == ["tx-nearly", result.deployment.transaction_id]


def test_resume_does_not_commit_an_interrupted_transaction_whose_journaled_steps_all_succeeded_but_not_its_plan(
    world: World,
) -> None:
    gateway = world.app.gateway
    ws = gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-part", ws, "dev", world.clock.now(), SOURCE)
    tx.record_intent(StepAction.CREATE, "Sales.Lakehouse", None, None)
    tx.record_success(1, gateway.create_item(ws, "Lakehouse", "Sales").id)  # the rest never started
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()

    result = recover(world, "tx-part", "resume")

    assert result.state == "failed" and result.deployment.state == "committed"
    assert set(world.workspace_items("Sales (dev)")) == {str(i.key) for i in source_items()}


def test_a_rollback_a_crash_interrupted_is_finished_by_recover_rollback(world: World) -> None:
    gateway = world.app.gateway
    ws = gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-undoing", ws, "dev", world.clock.now(), SOURCE)
    for number, name in enumerate(("Sales", "Other"), start=1):
        tx.record_intent(StepAction.CREATE, f"{name}.Lakehouse", None, None)
        tx.record_success(number, gateway.create_item(ws, "Lakehouse", name).id)
    tx.fail("Report: HTTP 503", world.clock.now())
    tx.begin_rollback()
    gateway.delete_item(ws, tx.steps[1].item_id or "")  # undone, then the process died before journaling it
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()

    result = recover(world, "tx-undoing", "rollback")

    assert result.state == "rolled_back"
    assert world.workspace_items("Sales (dev)") == {}
    assert world.event_types()[-1] == "TransactionRolledBack"


def test_resume_completes_only_what_the_interrupted_deployment_planned(world: World) -> None:
    _, lakehouse = crash_first_deployment(world)
    with world.app.uow as uow:  # the crashed deployment was `--item Sales.Lakehouse --item "Load Sales.Notebook"`
        tx = uow.transactions.get("tx-crashed")
        assert tx is not None
        tx.scope = ("Sales.Lakehouse", "Load Sales.Notebook")
        uow.commit()

    result = recover(world, "tx-crashed", "resume", force=True)

    assert result.deployment.state == "committed"
    assert set(world.workspace_items("Sales (dev)")) == {"Sales.Lakehouse", "Load Sales.Notebook"}
    assert world.workspace_items("Sales (dev)")["Sales.Lakehouse"] == lakehouse
    with world.app.uow as uow:
        resumed = uow.transactions.get(result.deployment.transaction_id)
    assert resumed is not None and set(resumed.scope) == {"Sales.Lakehouse", "Load Sales.Notebook"}


def test_a_deployment_journals_the_items_it_planned(world: World) -> None:
    # The notebook refers to the lakehouse, which is neither deployed nor in the target: allowed here.
    command = ExecuteDeployment("m-1", SOURCE, "dev", "tester", items=("Load Sales.Notebook",), allow_dangling=True)
    result = world.app.bus.handle(command)

    with world.app.uow as uow:
        tx = uow.transactions.get(result.transaction_id)
    assert tx is not None and tx.scope == ("Load Sales.Notebook",) and tx.deletes == ()


def test_resume_of_a_deployment_that_allowed_dangling_references_allows_them_again(world: World) -> None:
    # `--item "Load Sales.Notebook" --allow-dangling` crashed before its first write: the notebook
    # refers to the lakehouse, neither deployed nor in the target. Resuming plans what it planned.
    ws = world.app.gateway.create_workspace("Sales (dev)").id
    tx = Transaction.start("tx-dangling", ws, "dev", world.clock.now(), SOURCE)
    tx.scope = ("Load Sales.Notebook",)
    tx.inputs = JournaledInputs(allow_dangling=True)
    with world.app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()

    result = recover(world, "tx-dangling", "resume")

    assert result.deployment.state == "committed"
    assert set(world.workspace_items("Sales (dev)")) == {"Load Sales.Notebook"}
    assert result.deployment.plan.warnings  # the dangling reference, said again
