"""The audit trail as a hash chain: every kind of tampering is found and named, and the hashes are the ones
docs/audit.md specifies (recomputed here with hashlib and json, not with fabctl's code)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fabctl.domain import events
from fabctl.domain.approval_terms import ApprovalTerms, Pin
from fabctl.domain.audit_chain import AuditTampered
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import Approval, PromotedItem, PromotionRequest

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TERMS = ApprovalTerms((Pin("environments.prod", "environments.prod.workspace", '"Sales (prod)"'),))
BOB, CAROL, MALLORY = Identity("bob"), Identity("carol"), Identity("mallory")


def approved_twice() -> PromotionRequest:
    request = PromotionRequest.open(
        request_id="PR-7",
        source_dir="workspace/",
        source_environment="test",
        target_environment="prod",
        requested_by=Identity("alice", "contoso.com"),
        items=(PromotedItem("Load.Notebook", "hash-load"),),
        required_approvals=2,
        at=T0,
        terms=TERMS,
        note="release 12",
    )
    request.approve(BOB, T0 + timedelta(minutes=1), "looks good", now=TERMS)
    request.approve(CAROL, T0 + timedelta(minutes=2), now=TERMS)
    request.start_deployment("TX-1", T0 + timedelta(minutes=3))
    return request


def test_a_trail_fabctl_wrote_verifies_and_its_entries_link_up() -> None:
    request = approved_twice()

    request.verify_audit()

    trail = request.audit
    assert [e.action for e in trail] == ["requested", "approved", "approved", "deploying"]
    assert trail[0].previous == ""
    assert [e.previous for e in trail[1:]] == [e.hash for e in trail[:-1]]
    assert len({e.hash for e in trail}) == 4


def sha256(document: dict[str, object]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_each_entry_hash_is_the_documented_sha256_of_its_content_and_links() -> None:
    """docs/audit.md: {"request", "at", "actor", "action", "detail"?, "previous"?, "state"}, a field at its
    default ("") left out; canonical JSON (sorted keys, no white space), UTF-8, SHA-256 hex."""
    trail = approved_twice().audit
    first, second = trail[0], trail[1]

    assert first.hash == sha256({
        "request": "PR-7", "at": "2026-12-04T09:00:00+00:00", "actor": "alice@contoso.com",
        "action": "requested", "detail": "release 12", "state": first.state,
    })  # fmt: skip
    assert second.hash == sha256({
        "request": "PR-7", "at": "2026-12-04T09:01:00+00:00", "actor": "bob", "action": "approved",
        "detail": "looks good", "previous": first.hash, "state": second.state,
    })  # fmt: skip


def test_every_promotion_event_carries_the_head_of_the_trail_once_its_change_was_made() -> None:
    request = approved_twice()
    heads = [(type(e).__name__, e.audit_head) for e in request.events if isinstance(e, events.PromotionEvent)]
    hashes = [e.hash for e in request.audit]

    assert heads == [
        ("PromotionRequested", hashes[0]),
        ("ApprovalRecorded", hashes[1]),
        ("ApprovalRecorded", hashes[2]),
        ("PromotionApproved", hashes[2]),
        ("PromotionDeploying", hashes[3]),
    ]


def edit_entry(request: PromotionRequest) -> None:
    request.audit[1] = dataclasses.replace(request.audit[1], detail="approved by the board")


def remove_entry(request: PromotionRequest) -> None:
    del request.audit[1]


def reorder_entries(request: PromotionRequest) -> None:
    request.audit[1], request.audit[2] = request.audit[2], request.audit[1]


def remove_newest_entry(request: PromotionRequest) -> None:
    del request.audit[-1]


def add_an_approval(request: PromotionRequest) -> None:
    request.approvals.append(Approval(MALLORY, T0, "rubber stamp"))


def replace_an_approver(request: PromotionRequest) -> None:
    request.approvals[1] = dataclasses.replace(request.approvals[1], approver=MALLORY)


def lower_required_approvals(request: PromotionRequest) -> None:
    request.required_approvals = 1


def change_requester(request: PromotionRequest) -> None:
    request.requested_by = MALLORY


def repoint_a_pin(request: PromotionRequest) -> None:
    request.terms = ApprovalTerms((Pin("environments.prod", "environments.prod.workspace", '"Sales (dev)"'),))


def repoint_an_item(request: PromotionRequest) -> None:
    request.items = (PromotedItem("Load.Notebook", "hash-of-other-content"),)


def retarget(request: PromotionRequest) -> None:
    request.target_workspace_id = "ws-somewhere-else"


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (edit_entry, "audit entry 2 (approved) was edited"),
        (remove_entry, "audit entry 2 (approved) does not follow entry 1"),
        (reorder_entries, "audit entry 2 (approved) does not follow entry 1"),
        (remove_newest_entry, "the request was changed after audit entry 3 (approved)"),
        (add_an_approval, "the request was changed after audit entry 4 (deploying)"),
        (replace_an_approver, "the request was changed after audit entry 4 (deploying)"),
        (lower_required_approvals, "the request was changed after audit entry 4 (deploying)"),
        (change_requester, "the request was changed after audit entry 4 (deploying)"),
        (repoint_a_pin, "the request was changed after audit entry 4 (deploying)"),
        (repoint_an_item, "the request was changed after audit entry 4 (deploying)"),
        (retarget, "the request was changed after audit entry 4 (deploying)"),
    ],
)
def test_tampering_is_found_and_the_first_entry_that_does_not_hold_is_named(
    tamper: Callable[[PromotionRequest], None], named: str
) -> None:
    request = approved_twice()
    tamper(request)

    with pytest.raises(AuditTampered, match=named.replace("(", r"\(").replace(")", r"\)")):
        request.verify_audit()


def test_a_published_head_proves_the_trail_holds_it_and_a_rewritten_trail_does_not() -> None:
    request = approved_twice()
    published = request.audit[1].hash
    request.verify_audit(head=published)

    rewritten = approved_twice()
    rewritten.audit.clear()
    rewritten._log(T0, "alice@contoso.com", "requested", "release 12")  # a trail built again from scratch

    with pytest.raises(AuditTampered, match=f"no audit entry has the hash {published}"):
        rewritten.verify_audit(head=published)


def test_a_trail_stored_before_the_chain_is_reported_as_not_chained() -> None:
    request = approved_twice()
    request.audit = [dataclasses.replace(e, previous="", state="", hash="") for e in request.audit]

    with pytest.raises(AuditTampered, match=r"audit entry 1 \(requested\) has no hash: the trail is not chained"):
        request.verify_audit()
