"""Transaction: every state transition, every step outcome transition, rollback order, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fabctl.domain import events
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import IllegalTransition
from fabctl.domain.transaction import (
    ItemImage,
    StepAction,
    StepOutcome,
    Transaction,
    TransactionState,
)

T = TransactionState
O = StepOutcome  # noqa: E741
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
TX_ID = "TX-7"
WORKSPACE_ID = "11111111-2222-3333-4444-555555555555"
SUBJECT = f"transaction {TX_ID}"
BEFORE = ItemImage(
    item_id="item-1",
    item_type="Notebook",
    name="Load",
    description="",
    folder="etl",
    definition=ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print(1)")]),
)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def start() -> Transaction:
    return Transaction.start(TX_ID, WORKSPACE_ID, "test", T0, source_dir="workspace/")


def with_succeeded_step(tx: Transaction) -> Transaction:
    step = tx.record_intent(StepAction.UPDATE, "Load.Notebook", "item-1", BEFORE)
    tx.record_success(step.number, "item-1")
    return tx


# Each state, reached through the public methods, in two flavours: with no step left to undo
# (finish_rollback would complete) and with one succeeded step not undone (it would not).
def _started(outstanding: bool) -> Transaction:
    tx = start()
    return with_succeeded_step(tx) if outstanding else tx


def _committed(outstanding: bool) -> Transaction:
    tx = _started(outstanding)
    tx.commit(at(1))
    return tx


def _failed(outstanding: bool) -> Transaction:
    tx = _started(outstanding)
    tx.fail("boom", at(1))
    return tx


def _rolling_back(outstanding: bool) -> Transaction:
    tx = _started(outstanding)
    tx.begin_rollback()
    return tx


def _rolled_back(outstanding: bool) -> Transaction:
    # A rolled-back transaction cannot hold a step left to undo; the closest is one undone step.
    tx = _started(outstanding)
    tx.begin_rollback()
    if outstanding:
        tx.record_undone(1)
    tx.finish_rollback(at(1))
    return tx


def _rollback_incomplete(outstanding: bool) -> Transaction:
    tx = _started(outstanding=True)
    tx.begin_rollback()
    tx.record_undo_failure(1, "403")
    tx.finish_rollback(at(1))
    if not outstanding:
        tx.record_undone(1)  # undo_failed -> undone, without passing through rolling_back
    return tx


BUILDERS: dict[TransactionState, Callable[[bool], Transaction]] = {
    T.STARTED: _started,
    T.COMMITTED: _committed,
    T.FAILED: _failed,
    T.ROLLING_BACK: _rolling_back,
    T.ROLLED_BACK: _rolled_back,
    T.ROLLBACK_INCOMPLETE: _rollback_incomplete,
}


def transaction_in(state: TransactionState, outstanding: bool = False) -> Transaction:
    tx = BUILDERS[state](outstanding)
    assert tx.state is state  # the helper itself must be right
    return tx


# operation name -> (whether the transaction should hold a step not undone, the call)
OPERATIONS: dict[str, tuple[bool, Callable[[Transaction], object]]] = {
    "commit": (False, lambda tx: tx.commit(at(10))),
    "fail": (False, lambda tx: tx.fail("timeout", at(10))),
    "begin_rollback": (False, lambda tx: tx.begin_rollback()),
    "finish_rollback(all undone)": (False, lambda tx: tx.finish_rollback(at(10))),
    "finish_rollback(some not undone)": (True, lambda tx: tx.finish_rollback(at(10))),
}

LEGAL: dict[tuple[TransactionState, str], TransactionState] = {
    (T.STARTED, "commit"): T.COMMITTED,
    (T.STARTED, "fail"): T.FAILED,
    (T.STARTED, "begin_rollback"): T.ROLLING_BACK,
    (T.FAILED, "begin_rollback"): T.ROLLING_BACK,
    (T.ROLLING_BACK, "finish_rollback(all undone)"): T.ROLLED_BACK,
    (T.ROLLING_BACK, "finish_rollback(some not undone)"): T.ROLLBACK_INCOMPLETE,
    (T.ROLLBACK_INCOMPLETE, "begin_rollback"): T.ROLLING_BACK,
}
ALL_PAIRS = [(state, op) for state in TransactionState for op in OPERATIONS]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def _id(value: object) -> str | None:
    return str(value) if isinstance(value, str) else None


def test_the_matrix_covers_every_state_and_operation() -> None:
    assert len(ALL_PAIRS) == 6 * 5
    assert len(ILLEGAL) == 30 - 7


@pytest.mark.parametrize(("state", "operation"), list(LEGAL), ids=_id)
def test_legal_transition_moves_the_state(state: TransactionState, operation: str) -> None:
    outstanding, call = OPERATIONS[operation]
    tx = transaction_in(state, outstanding)

    call(tx)

    assert tx.state is LEGAL[(state, operation)]


@pytest.mark.parametrize(("state", "operation"), ILLEGAL, ids=_id)
def test_illegal_transition_is_refused_and_changes_nothing(state: TransactionState, operation: str) -> None:
    outstanding, call = OPERATIONS[operation]
    tx = transaction_in(state, outstanding)
    events_before = list(tx.events)
    outcomes_before = [s.outcome for s in tx.steps]
    ended_before, reason_before = tx.ended_at, tx.reason

    with pytest.raises(IllegalTransition) as caught:
        call(tx)

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "state"
    assert tx.state is state
    assert tx.events == events_before
    assert [s.outcome for s in tx.steps] == outcomes_before
    assert (tx.ended_at, tx.reason) == (ended_before, reason_before)


def test_commit_is_refused_while_a_step_has_not_succeeded() -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "Load.Notebook", None, None)
    tx.record_success(1, "item-1")
    tx.record_intent(StepAction.UPDATE, "Sales.Report", "item-2", None)  # still pending
    tx.record_intent(StepAction.DELETE, "Old.Report", "item-3", None)
    tx.record_failure(3, "409")
    events_before = list(tx.events)

    with pytest.raises(IllegalTransition) as caught:
        tx.commit(at(1))

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "steps"
    assert "2" in caught.value.message and "3" in caught.value.message
    assert tx.state is T.STARTED
    assert tx.events == events_before


def test_commit_on_a_failed_transaction_reports_the_state_even_when_a_step_failed() -> None:
    # The realistic way to a failed transaction: a step fails, then the transaction does.
    # No edge failed -> committed exists, so the error must be about the state, not the steps.
    tx = start()
    tx.record_intent(StepAction.CREATE, "Load.Notebook", None, None)
    tx.record_failure(1, "400 bad definition")
    tx.fail("step 1 failed", at(1))

    with pytest.raises(IllegalTransition) as caught:
        tx.commit(at(2))

    assert caught.value.field == "state"
    assert tx.state is T.FAILED


@pytest.mark.parametrize("state", [s for s in TransactionState if s is not T.STARTED], ids=_id)
def test_record_intent_is_refused_unless_started(state: TransactionState) -> None:
    tx = transaction_in(state)
    steps_before = len(tx.steps)

    with pytest.raises(IllegalTransition) as caught:
        tx.record_intent(StepAction.CREATE, "New.Notebook", None, None)

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "state"
    assert len(tx.steps) == steps_before


def test_record_intent_numbers_steps_from_one_and_leaves_them_pending() -> None:
    tx = start()
    first = tx.record_intent(StepAction.CREATE, "Load.Notebook", None, None)
    second = tx.record_intent(StepAction.UPDATE, "Sales.Report", "item-2", BEFORE)

    assert [(s.number, s.action, s.item, s.item_id, s.before) for s in tx.steps] == [
        (1, StepAction.CREATE, "Load.Notebook", None, None),
        (2, StepAction.UPDATE, "Sales.Report", "item-2", BEFORE),
    ]
    assert tx.steps == [first, second]
    assert all(s.outcome is O.PENDING for s in tx.steps)


# ---- step outcomes -------------------------------------------------------------------------

STEP_PATHS: dict[StepOutcome, list[Callable[[Transaction], object]]] = {
    O.PENDING: [],
    O.SUCCEEDED: [lambda tx: tx.record_success(1, "item-1")],
    O.FAILED: [lambda tx: tx.record_failure(1, "500")],
    O.UNDONE: [
        lambda tx: tx.record_success(1, "item-1"),
        lambda tx: tx.begin_rollback(),
        lambda tx: tx.record_undone(1),
    ],
    O.UNDO_FAILED: [
        lambda tx: tx.record_success(1, "item-1"),
        lambda tx: tx.begin_rollback(),
        lambda tx: tx.record_undo_failure(1, "403"),
    ],
}


def transaction_with_step_in(outcome: StepOutcome) -> Transaction:
    tx = start()
    tx.record_intent(StepAction.UPDATE, "Load.Notebook", "item-1", BEFORE)
    for call in STEP_PATHS[outcome]:
        call(tx)
    assert tx.steps[0].outcome is outcome
    return tx


STEP_OPERATIONS: dict[str, Callable[[Transaction, int], None]] = {
    "record_success": lambda tx, n: tx.record_success(n, "item-9"),
    "record_failure": lambda tx, n: tx.record_failure(n, "429"),
    "record_undone": lambda tx, n: tx.record_undone(n),
    "record_undo_failure": lambda tx, n: tx.record_undo_failure(n, "404"),
}
STEP_LEGAL: dict[tuple[StepOutcome, str], StepOutcome] = {
    (O.PENDING, "record_success"): O.SUCCEEDED,
    (O.PENDING, "record_failure"): O.FAILED,
    (O.SUCCEEDED, "record_undone"): O.UNDONE,
    (O.SUCCEEDED, "record_undo_failure"): O.UNDO_FAILED,
    (O.UNDO_FAILED, "record_undone"): O.UNDONE,
    (O.UNDO_FAILED, "record_undo_failure"): O.UNDO_FAILED,
}
STEP_ALL = [(outcome, op) for outcome in StepOutcome for op in STEP_OPERATIONS]
STEP_ILLEGAL = [pair for pair in STEP_ALL if pair not in STEP_LEGAL]


def test_the_step_matrix_covers_every_outcome_and_operation() -> None:
    assert len(STEP_ALL) == 5 * 4
    assert len(STEP_ILLEGAL) == 20 - 6


@pytest.mark.parametrize(("outcome", "operation"), list(STEP_LEGAL), ids=_id)
def test_legal_step_transition(outcome: StepOutcome, operation: str) -> None:
    tx = transaction_with_step_in(outcome)

    STEP_OPERATIONS[operation](tx, 1)

    assert tx.steps[0].outcome is STEP_LEGAL[(outcome, operation)]


@pytest.mark.parametrize(("outcome", "operation"), STEP_ILLEGAL, ids=_id)
def test_illegal_step_transition_is_refused_and_changes_nothing(outcome: StepOutcome, operation: str) -> None:
    tx = transaction_with_step_in(outcome)
    step = tx.steps[0]
    before = (step.outcome, step.error, step.item_id)
    events_before = list(tx.events)

    with pytest.raises(IllegalTransition) as caught:
        STEP_OPERATIONS[operation](tx, 1)

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "steps[1].outcome"
    assert (step.outcome, step.error, step.item_id) == before
    assert tx.events == events_before


def test_illegal_step_transition_names_the_right_step_number() -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "A.Notebook", None, None)
    tx.record_intent(StepAction.CREATE, "B.Notebook", None, None)
    tx.record_intent(StepAction.CREATE, "C.Notebook", None, None)

    with pytest.raises(IllegalTransition) as caught:
        tx.record_undone(3)

    assert caught.value.field == "steps[3].outcome"


@pytest.mark.parametrize("number", [0, 3, -1])
@pytest.mark.parametrize("operation", list(STEP_OPERATIONS))
def test_unknown_step_number_is_refused(operation: str, number: int) -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "A.Notebook", None, None)
    tx.record_intent(StepAction.CREATE, "B.Notebook", None, None)

    with pytest.raises(IllegalTransition) as caught:
        STEP_OPERATIONS[operation](tx, number)

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "steps"
    assert [s.outcome for s in tx.steps] == [O.PENDING, O.PENDING]


def test_failures_keep_their_error_and_success_keeps_the_new_id() -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "A.Notebook", None, None)
    tx.record_intent(StepAction.CREATE, "B.Notebook", None, None)
    tx.record_success(1, "new-id-a")
    tx.record_failure(2, "400 invalid definition")
    tx.begin_rollback()
    tx.record_undo_failure(1, "first")
    tx.record_undo_failure(1, "second")

    assert tx.steps[0].item_id == "new-id-a"
    assert tx.steps[0].error == "second"
    assert tx.steps[1].error == "400 invalid definition"


# ---- rollback --------------------------------------------------------------------------------


def test_begin_rollback_returns_succeeded_steps_most_recent_first() -> None:
    tx = start()
    for name in ("A", "B", "C", "D", "E"):
        tx.record_intent(StepAction.UPDATE, f"{name}.Notebook", f"id-{name}", BEFORE)
    tx.record_success(1, "id-A")
    tx.record_failure(2, "500")
    tx.record_success(3, "id-C")
    tx.record_success(4, "id-D")  # step 5 stays pending

    to_undo = tx.begin_rollback()

    assert [s.number for s in to_undo] == [4, 3, 1]
    assert tx.state is T.ROLLING_BACK


def test_a_move_is_journaled_with_the_folder_it_left_and_undone_before_the_folder_it_went_into() -> None:
    tx = start()
    folder = tx.record_intent(StepAction.CREATE_FOLDER, "archive", None, None)
    tx.record_success(folder.number, "folder-9")
    move = tx.record_intent(StepAction.MOVE, "Load.Notebook", "item-1", BEFORE)  # BEFORE is in "etl"
    tx.record_success(move.number, "item-1")

    assert [(s.number, s.action.value, s.item, s.item_id, s.outcome) for s in tx.steps] == [
        (1, "create_folder", "archive", "folder-9", O.SUCCEEDED),
        (2, "move", "Load.Notebook", "item-1", O.SUCCEEDED),
    ]
    assert move.before is not None and move.before.folder == "etl"  # where the undo puts it back
    assert tx.events[1:] == [
        events.ItemDeployed(TX_ID, "archive", "create_folder", "folder-9", workspace_id=WORKSPACE_ID),
        events.ItemDeployed(TX_ID, "Load.Notebook", "move", "item-1", workspace_id=WORKSPACE_ID),
    ]
    # Most recent first: the item leaves the new folder before that folder is removed.
    assert [s.number for s in tx.begin_rollback()] == [2, 1]


def test_rollback_after_an_incomplete_one_retries_only_what_is_left() -> None:
    tx = start()
    for name in ("A", "B", "C"):
        step = tx.record_intent(StepAction.UPDATE, f"{name}.Notebook", f"id-{name}", BEFORE)
        tx.record_success(step.number, f"id-{name}")
    tx.fail("step 4 failed", at(1))

    assert [s.number for s in tx.begin_rollback()] == [3, 2, 1]
    tx.record_undone(3)
    tx.record_undo_failure(2, "403")
    tx.record_undone(1)
    tx.finish_rollback(at(2))
    assert tx.state is T.ROLLBACK_INCOMPLETE

    assert [s.number for s in tx.begin_rollback()] == [2]
    tx.record_undone(2)
    tx.finish_rollback(at(3))
    assert tx.state is T.ROLLED_BACK


# ---- events ----------------------------------------------------------------------------------


def test_start_records_deployment_started() -> None:
    tx = start()

    assert tx.state is T.STARTED
    assert tx.events == [events.DeploymentStarted(TX_ID, WORKSPACE_ID, "test")]


def test_a_committed_deployment_records_each_item_then_the_commit() -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "Load.Notebook", None, None)
    tx.record_intent(StepAction.UPDATE, "Sales.Report", "rep-1", BEFORE)
    tx.record_success(1, "nb-1")
    tx.record_success(2, "rep-1")
    tx.commit(at(5))

    assert tx.events[1:] == [
        events.ItemDeployed(TX_ID, "Load.Notebook", "create", "nb-1", workspace_id=WORKSPACE_ID),
        events.ItemDeployed(TX_ID, "Sales.Report", "update", "rep-1", workspace_id=WORKSPACE_ID),
        events.TransactionCommitted(TX_ID, WORKSPACE_ID, 2),
    ]


def test_failure_records_deployment_failed_with_the_reason() -> None:
    tx = start()
    tx.fail("capacity paused", at(1))

    assert tx.reason == "capacity paused"
    assert tx.events[1:] == [events.DeploymentFailed(TX_ID, "capacity paused", workspace_id=WORKSPACE_ID)]


def test_record_failure_and_undo_record_no_event() -> None:
    tx = start()
    tx.record_intent(StepAction.CREATE, "A.Notebook", None, None)
    tx.record_intent(StepAction.CREATE, "B.Notebook", None, None)
    tx.record_success(1, "a")
    tx.record_failure(2, "500")
    tx.begin_rollback()
    tx.record_undone(1)

    assert [type(e) for e in tx.events] == [events.DeploymentStarted, events.ItemDeployed]


def test_complete_rollback_records_transaction_rolled_back() -> None:
    tx = with_succeeded_step(start())
    tx.begin_rollback()
    tx.record_undone(1)
    tx.finish_rollback(at(3))

    assert tx.events[-1] == events.TransactionRolledBack(TX_ID, WORKSPACE_ID)
    assert not any(isinstance(e, events.RollbackIncomplete) for e in tx.events)


def test_incomplete_rollback_records_the_steps_not_undone() -> None:
    tx = start()
    for name in ("A", "B", "C", "D"):
        step = tx.record_intent(StepAction.UPDATE, f"{name}.Notebook", f"id-{name}", BEFORE)
        tx.record_success(step.number, f"id-{name}")
    tx.begin_rollback()
    tx.record_undone(4)
    tx.record_undo_failure(3, "403")
    # step 2 never attempted (the process stopped), step 1 undone
    tx.record_undone(1)
    tx.finish_rollback(at(3))

    assert tx.state is T.ROLLBACK_INCOMPLETE
    assert tx.events[-1] == events.RollbackIncomplete(TX_ID, WORKSPACE_ID, (2, 3))
    assert not any(isinstance(e, events.TransactionRolledBack) for e in tx.events)
