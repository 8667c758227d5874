"""PromotionRequest: every (state, operation) pair, approval rules, events and audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fabctl.domain import events
from fabctl.domain.approval_terms import ApprovalTerms, Pin
from fabctl.domain.errors import IllegalTransition, PromotionRuleViolation
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import PromotedItem, PromotionRequest, PromotionState

S = PromotionState
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
REQUEST_ID = "PR-42"
SUBJECT = f"promotion request {REQUEST_ID}"
REQUESTER = Identity("alice", "contoso.com")
ITEMS = (PromotedItem("Load.Notebook", "hash-load"), PromotedItem("Sales.Report", "hash-sales"))
TERMS = ApprovalTerms((Pin("environments.test", "environments.test.workspace", '"Sales (test)"'),))
BOB, CAROL, DAVE = Identity("bob"), Identity("carol"), Identity("dave")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_request(required_approvals: int = 1, note: str = "weekly release") -> PromotionRequest:
    return PromotionRequest.open(
        request_id=REQUEST_ID,
        source_dir="workspace/",
        source_environment="dev",
        target_environment="test",
        requested_by=REQUESTER,
        items=ITEMS,
        required_approvals=required_approvals,
        at=T0,
        terms=TERMS,
        note=note,
    )


# How to reach each state from a fresh request, through the public methods only.
PATHS: dict[PromotionState, list[Callable[[PromotionRequest], None]]] = {
    S.REQUESTED: [],
    S.APPROVED: [lambda r: r.approve(BOB, at(1), now=TERMS)],
    S.REJECTED: [lambda r: r.reject(BOB, "not ready", at(1))],
    S.CANCELLED: [lambda r: r.cancel(REQUESTER, at(1))],
    S.DEPLOYING: [lambda r: r.approve(BOB, at(1), now=TERMS), lambda r: r.start_deployment("TX-1", at(2))],
    S.SUCCEEDED: [
        lambda r: r.approve(BOB, at(1), now=TERMS),
        lambda r: r.start_deployment("TX-1", at(2)),
        lambda r: r.succeed(at(3)),
    ],
    S.FAILED: [
        lambda r: r.approve(BOB, at(1), now=TERMS),
        lambda r: r.start_deployment("TX-1", at(2)),
        lambda r: r.fail("throttled", at(3)),
    ],
    S.ROLLED_BACK: [
        lambda r: r.approve(BOB, at(1), now=TERMS),
        lambda r: r.start_deployment("TX-1", at(2)),
        lambda r: r.fail("throttled", at(3)),
        lambda r: r.mark_rolled_back(at(4)),
    ],
}


def request_in(state: PromotionState) -> PromotionRequest:
    request = open_request(required_approvals=1)
    for step in PATHS[state]:
        step(request)
    assert request.state is state  # the helper itself must be right
    return request


# Each operation, performed by someone entitled to it (approve: neither the requester nor a previous
# approver; cancel: the requester), so that the only rule it can break is the state machine.
OPERATIONS: dict[str, Callable[[PromotionRequest], None]] = {
    "approve": lambda r: r.approve(CAROL, at(10), now=TERMS),
    "reject": lambda r: r.reject(CAROL, "wrong items", at(10)),
    "cancel": lambda r: r.cancel(REQUESTER, at(10)),
    "start_deployment": lambda r: r.start_deployment("TX-9", at(10)),
    "succeed": lambda r: r.succeed(at(10)),
    "fail": lambda r: r.fail("timeout", at(10)),
    "mark_rolled_back": lambda r: r.mark_rolled_back(at(10)),
}

LEGAL: dict[tuple[PromotionState, str], PromotionState] = {
    (S.REQUESTED, "approve"): S.APPROVED,
    (S.REQUESTED, "reject"): S.REJECTED,
    (S.REQUESTED, "cancel"): S.CANCELLED,
    (S.APPROVED, "start_deployment"): S.DEPLOYING,
    (S.APPROVED, "cancel"): S.CANCELLED,
    (S.DEPLOYING, "succeed"): S.SUCCEEDED,
    (S.DEPLOYING, "fail"): S.FAILED,
    (S.FAILED, "mark_rolled_back"): S.ROLLED_BACK,
}


def _id(value: object) -> str | None:
    return str(value) if isinstance(value, str) else None


ALL_PAIRS = [(state, op) for state in PromotionState for op in OPERATIONS]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def test_the_matrix_covers_every_state_and_operation() -> None:
    assert len(ALL_PAIRS) == 8 * 7
    assert len(LEGAL) == 8
    assert len(ILLEGAL) == 48


@pytest.mark.parametrize(("state", "operation"), list(LEGAL), ids=_id)
def test_legal_transition_moves_the_state_and_appends_one_audit_entry(state: PromotionState, operation: str) -> None:
    request = request_in(state)
    audit_before = list(request.audit)

    OPERATIONS[operation](request)

    assert request.state is LEGAL[(state, operation)]
    assert request.audit[: len(audit_before)] == audit_before
    assert len(request.audit) == len(audit_before) + 1
    assert request.audit[-1].at == at(10)


@pytest.mark.parametrize(("state", "operation"), ILLEGAL, ids=_id)
def test_illegal_transition_is_refused_and_changes_nothing(state: PromotionState, operation: str) -> None:
    request = request_in(state)
    audit_before = list(request.audit)
    events_before = list(request.events)
    approvals_before = list(request.approvals)
    reason_before, transaction_before = request.reason, request.transaction_id

    with pytest.raises(IllegalTransition) as caught:
        OPERATIONS[operation](request)

    assert caught.value.subject == SUBJECT
    assert caught.value.field == "state"
    assert request.state is state
    assert request.audit == audit_before
    assert request.events == events_before
    assert request.approvals == approvals_before
    assert (request.reason, request.transaction_id) == (reason_before, transaction_before)


def test_open_records_promotion_requested_and_the_first_audit_entry() -> None:
    request = open_request(required_approvals=2, note="weekly release")

    assert request.state is S.REQUESTED
    assert request.events == [
        events.PromotionRequested(REQUEST_ID, "dev", "test", "alice@contoso.com", ("Load.Notebook", "Sales.Report"), 2)
    ]
    assert len(request.audit) == 1
    entry = request.audit[0]
    assert (entry.at, entry.actor, entry.detail) == (T0, "alice@contoso.com", "weekly release")


def test_requester_cannot_approve_their_own_request() -> None:
    request = open_request(required_approvals=1)

    with pytest.raises(PromotionRuleViolation) as caught:
        request.approve(REQUESTER, at(1), now=TERMS)

    assert caught.value.field == "approver"
    assert caught.value.subject == SUBJECT
    assert request.state is S.REQUESTED
    assert request.approvals == []
    assert len(request.audit) == 1
    assert len(request.events) == 1


def test_the_same_approver_cannot_approve_twice() -> None:
    request = open_request(required_approvals=2)
    request.approve(BOB, at(1), now=TERMS)

    with pytest.raises(PromotionRuleViolation) as caught:
        request.approve(BOB, at(2), now=TERMS)

    assert caught.value.field == "approver"
    assert caught.value.subject == SUBJECT
    assert request.state is S.REQUESTED
    assert [a.approver for a in request.approvals] == [BOB]
    assert len(request.audit) == 2
    assert not any(isinstance(e, events.PromotionApproved) for e in request.events)


def test_partial_approvals_keep_the_request_requested_until_the_count_is_reached() -> None:
    request = open_request(required_approvals=3)

    request.approve(BOB, at(1), "looks fine", now=TERMS)
    request.approve(CAROL, at(2), now=TERMS)
    assert request.state is S.REQUESTED
    assert request.events[1:] == [
        events.ApprovalRecorded(REQUEST_ID, "bob", 1, 3),
        events.ApprovalRecorded(REQUEST_ID, "carol", 2, 3),
    ]

    request.approve(DAVE, at(3), now=TERMS)
    assert request.state is S.APPROVED
    assert request.events[3:] == [
        events.ApprovalRecorded(REQUEST_ID, "dave", 3, 3),
        events.PromotionApproved(REQUEST_ID, ("bob", "carol", "dave")),
    ]
    assert [(a.approver, a.at, a.comment) for a in request.approvals] == [
        (BOB, at(1), "looks fine"),
        (CAROL, at(2), ""),
        (DAVE, at(3), ""),
    ]


@pytest.mark.parametrize(
    ("state", "operation", "expected_event"),
    [
        (S.REQUESTED, "reject", events.PromotionRejected(REQUEST_ID, "carol", "wrong items")),
        (S.REQUESTED, "cancel", events.PromotionCancelled(REQUEST_ID, "alice@contoso.com")),
        (S.APPROVED, "cancel", events.PromotionCancelled(REQUEST_ID, "alice@contoso.com")),
        (S.APPROVED, "start_deployment", events.PromotionDeploying(REQUEST_ID, "TX-9")),
        (S.DEPLOYING, "succeed", events.PromotionSucceeded(REQUEST_ID, "TX-1")),
        (S.DEPLOYING, "fail", events.PromotionFailed(REQUEST_ID, "timeout")),
        (S.FAILED, "mark_rolled_back", events.PromotionRolledBack(REQUEST_ID, "TX-1")),
    ],
    ids=_id,
)
def test_each_operation_records_exactly_its_event(
    state: PromotionState, operation: str, expected_event: events.Event
) -> None:
    request = request_in(state)
    before = len(request.events)

    OPERATIONS[operation](request)

    assert request.events[before:] == [expected_event]


def test_reject_and_fail_keep_the_reason_and_deploy_keeps_the_transaction() -> None:
    rejected = request_in(S.REQUESTED)
    rejected.reject(CAROL, "wrong items", at(5))
    assert rejected.reason == "wrong items"

    deploying = request_in(S.APPROVED)
    deploying.start_deployment("TX-7", at(5))
    assert deploying.transaction_id == "TX-7"
    deploying.fail("capacity paused", at(6))
    assert deploying.reason == "capacity paused"


def test_audit_trail_records_every_operation_in_order() -> None:
    request = open_request(required_approvals=2, note="n")
    request.approve(BOB, at(1), "ok", now=TERMS)
    with pytest.raises(PromotionRuleViolation):
        request.approve(BOB, at(2), now=TERMS)  # refused: appends nothing
    request.approve(CAROL, at(3), now=TERMS)
    request.start_deployment("TX-1", at(4))
    with pytest.raises(IllegalTransition):
        request.mark_rolled_back(at(5))  # refused: appends nothing
    request.fail("throttled", at(6))
    request.mark_rolled_back(at(7))

    assert [entry.at for entry in request.audit] == [T0, at(1), at(3), at(4), at(6), at(7)]
    assert [entry.actor for entry in request.audit[:3]] == ["alice@contoso.com", "bob", "carol"]
    assert request.audit[1].detail == "ok"
    assert request.audit[4].detail == "throttled"


def test_reject_and_cancel_are_audited_under_the_person_who_did_them() -> None:
    rejected = open_request()
    rejected.reject(BOB, "not ready", at(1))
    cancelled = open_request()
    cancelled.cancel(REQUESTER, at(1))

    assert [(e.actor, e.detail) for e in rejected.audit[1:]] == [("bob", "not ready")]
    assert [e.actor for e in cancelled.audit[1:]] == ["alice@contoso.com"]


@pytest.mark.parametrize("spelling", ["ALICE@CONTOSO.COM", "CONTOSO\\alice", "alice", "contoso.com\\Alice"])
def test_no_spelling_of_the_requester_can_approve(spelling: str) -> None:
    request = open_request()

    with pytest.raises(PromotionRuleViolation, match="separation of duties"):
        request.approve(Identity.parse(spelling), at(1), now=TERMS)

    assert request.approvals == [] and len(request.audit) == 1


def test_one_person_under_two_spellings_is_one_approver() -> None:
    request = open_request(required_approvals=2)
    request.approve(Identity.parse("bob@fabrikam.com"), at(1), now=TERMS)

    for spelling in ("BOB", "FABRIKAM\\bob", "fabrikam.com\\bob"):
        with pytest.raises(PromotionRuleViolation, match="already approved"):
            request.approve(Identity.parse(spelling), at(2), now=TERMS)

    assert request.state is S.REQUESTED and len(request.approvals) == 1


def test_an_approval_on_other_terms_is_refused_naming_the_difference_and_changes_nothing() -> None:
    request = open_request()
    elsewhere = ApprovalTerms((Pin("environments.test", "environments.test.workspace", '"Sales (prod)"'),))

    with pytest.raises(PromotionRuleViolation) as caught:
        request.approve(BOB, at(1), now=elsewhere)

    assert caught.value.field == "terms"
    assert 'environments.test.workspace: "Sales (test)" -> "Sales (prod)"' in caught.value.message
    assert request.state is S.REQUESTED and request.approvals == [] and len(request.events) == 1


@pytest.mark.parametrize("state", [S.REQUESTED, S.APPROVED])
def test_only_the_requester_or_an_approver_may_cancel(state: PromotionState) -> None:
    stranger = request_in(state)
    with pytest.raises(PromotionRuleViolation) as caught:
        stranger.cancel(CAROL, at(5))
    assert caught.value.field == "cancelled_by" and stranger.state is state

    # Rights are granted strictly: a name that only may be the requester's is not enough.
    with pytest.raises(PromotionRuleViolation):
        request_in(state).cancel(Identity.parse("CONTOSO\\alice"), at(5))

    by_requester = request_in(state)
    by_requester.cancel(Identity.parse("Alice@Contoso.com"), at(5))
    assert by_requester.state is S.CANCELLED
    if state is S.APPROVED:
        by_approver = request_in(state)
        by_approver.cancel(Identity.parse(" BOB "), at(5))
        assert by_approver.state is S.CANCELLED
