"""Signed-in actors carry their object id: recorded on the request, its approvals, its audit trail and
its events, and one object id is one person whatever the names say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fabctl.domain import events
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.errors import PromotionRuleViolation
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import PromotedItem, PromotionRequest
from fabctl.domain.transaction import Transaction

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TERMS = ApprovalTerms(())
PIPELINE_OID = "0f1e2d3c-0000-4000-8000-00000000a001"
BOB_OID = "0f1e2d3c-0000-4000-8000-00000000b002"


def signed_in_request(required_approvals: int = 2) -> PromotionRequest:
    return PromotionRequest.open(
        request_id="PR-7", source_dir="src", source_environment="dev", target_environment="test",
        requested_by=Identity("c1a2b3d4-app"), items=(PromotedItem("Load.Notebook", "h"),),
        required_approvals=required_approvals, at=T0, terms=TERMS, requester_object_id=PIPELINE_OID,
    )  # fmt: skip


def test_a_signed_in_requester_and_approver_are_recorded_verified_everywhere() -> None:
    request = signed_in_request()

    request.approve(Identity("bob", "contoso.com"), T0, "ok", now=TERMS, object_id=BOB_OID)

    assert (request.requester_object_id, request.requester_verified) == (PIPELINE_OID, True)
    assert [(a.object_id, a.verified) for a in request.approvals] == [(BOB_OID, True)]
    assert [(e.action, e.object_id) for e in request.audit] == [("requested", PIPELINE_OID), ("approved", BOB_OID)]
    recorded = [e for e in request.events if isinstance(e, events.PromotionRequested | events.ApprovalRecorded)]
    assert [e.actor_object_id for e in recorded] == [PIPELINE_OID, BOB_OID]


def test_a_typed_approver_is_recorded_unverified() -> None:
    request = signed_in_request()

    request.approve(Identity("carol"), T0, now=TERMS)

    assert [(str(a.approver), a.verified) for a in request.approvals] == [("carol", False)]
    assert request.audit[-1].object_id == ""


def test_the_requesters_object_id_cannot_approve_under_another_name() -> None:
    request = signed_in_request()

    with pytest.raises(PromotionRuleViolation, match="separation of duties"):
        request.approve(Identity("someone-else"), T0, now=TERMS, object_id=PIPELINE_OID)
    assert request.approvals == []


def test_one_object_id_is_one_approver_under_two_names() -> None:
    request = signed_in_request(required_approvals=3)
    request.approve(Identity("bob", "contoso.com"), T0, now=TERMS, object_id=BOB_OID)

    with pytest.raises(PromotionRuleViolation, match="already approved"):
        request.approve(Identity("robert", "contoso.com"), T0, now=TERMS, object_id=BOB_OID)
    assert len(request.approvals) == 1


def test_a_transaction_started_by_a_signed_in_actor_is_verified_and_says_so_in_its_event() -> None:
    tx = Transaction.start("tx-1", "ws-1", "dev", T0, "src", actor="c1a2b3d4-app", actor_object_id=PIPELINE_OID)
    typed = Transaction.start("tx-2", "ws-1", "dev", T0, "src", actor="alice")

    assert (tx.actor_verified, typed.actor_verified) == (True, False)
    started = [e for e in tx.events if isinstance(e, events.DeploymentStarted)]
    assert [(e.actor, e.actor_object_id) for e in started] == [("c1a2b3d4-app", PIPELINE_OID)]
