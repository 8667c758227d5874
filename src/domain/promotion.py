"""A request to promote items from one environment to the next, and its approval rules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from fabctl.domain import events
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.audit_chain import entry_hash, state_digest, verify
from fabctl.domain.errors import IllegalTransition, PromotionRuleViolation
from fabctl.domain.identity import Identity


class PromotionState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    DEPLOYING = "deploying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    CANCELLED = "cancelled"


_S = PromotionState
TRANSITIONS: dict[PromotionState, frozenset[PromotionState]] = {
    _S.REQUESTED: frozenset({_S.APPROVED, _S.REJECTED, _S.CANCELLED}),
    _S.APPROVED: frozenset({_S.DEPLOYING, _S.CANCELLED}),
    _S.DEPLOYING: frozenset({_S.SUCCEEDED, _S.FAILED}),
    _S.FAILED: frozenset({_S.ROLLED_BACK}),
    _S.REJECTED: frozenset(),
    _S.SUCCEEDED: frozenset(),
    _S.ROLLED_BACK: frozenset(),
    _S.CANCELLED: frozenset(),
}
_OPEN = frozenset({_S.REQUESTED, _S.APPROVED, _S.DEPLOYING})
_VERBS: dict[PromotionState, str] = {
    _S.APPROVED: "approve",
    _S.REJECTED: "reject",
    _S.CANCELLED: "cancel",
    _S.DEPLOYING: "deploy",
    _S.SUCCEEDED: "complete",
    _S.FAILED: "fail",
    _S.ROLLED_BACK: "roll back",
}


@dataclass(frozen=True)
class PromotedItem:
    """An item in a request, pinned to the source content that was requested and approved."""

    key: str  # "Name.Type"
    source_hash: str


@dataclass(frozen=True)
class Approval:
    approver: Identity
    at: datetime
    comment: str = ""
    object_id: str = ""  # the signed-in approver's object id (verified); "" = a name typed (unverified)
    groups: tuple[str, ...] = ()  # the required groups the directory confirmed the approver belongs to

    @property
    def verified(self) -> bool:
        return bool(self.object_id)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only, hash-chained audit trail (`audit_chain`)."""

    at: datetime
    actor: str  # an identity's text, or "fabctl" for what fabctl did on its own
    action: str
    detail: str = ""
    object_id: str = ""  # the signed-in actor's object id: verified; "" = typed (or fabctl's own entry)
    # The links, derived from the trail (so not compared: two entries saying the same are equal).
    previous: str = field(default="", compare=False)  # the hash of the entry before ("" for the first)
    state: str = field(default="", compare=False)  # the digest of the request's decisive state after the action
    hash: str = field(default="", compare=False)  # of this entry's content, `previous` and `state`


@dataclass(frozen=True)
class Governance:
    """What the promotion rules add to a request when it is opened (see `promotion_rules.evaluate`)."""

    change: str = ""
    emergency: bool = False
    approver_groups: tuple[tuple[str, ...], ...] = ()
    emergency_approvers: tuple[str, ...] = ()
    validations: tuple[str, ...] = ()


@dataclass
class PromotionRequest(Aggregate):
    id: str
    source_dir: str
    source_environment: str
    target_environment: str
    requested_by: Identity
    items: tuple[PromotedItem, ...]
    required_approvals: int
    note: str = ""
    config_path: str = ""  # the workspace configuration the request was made under
    terms: ApprovalTerms = field(default_factory=ApprovalTerms)  # what an approval covers, pinned when requested
    target_workspace_id: str = ""  # the target workspace when requested; "" = fabctl was to create it
    change: str = ""  # the change reference given with --change
    emergency: bool = False  # requested in a freeze window with --emergency
    approver_groups: tuple[tuple[str, ...], ...] = ()  # per rule: an approver must be in one of each
    emergency_approvers: tuple[str, ...] = ()  # an emergency request needs one approval from each
    validations: tuple[str, ...] = ()  # checks the rules require before deploying (shown; run by the gates)
    state: PromotionState = PromotionState.REQUESTED
    approvals: list[Approval] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    transaction_id: str | None = None
    reason: str = ""
    requester_object_id: str = ""  # the signed-in requester's object id (verified); "" = a name typed

    @property
    def requester_verified(self) -> bool:
        return bool(self.requester_object_id)

    @classmethod
    def open(
        cls,
        *,
        request_id: str,
        source_dir: str,
        source_environment: str,
        target_environment: str,
        requested_by: Identity,
        items: tuple[PromotedItem, ...],
        required_approvals: int,
        at: datetime,
        terms: ApprovalTerms,
        note: str = "",
        config_path: str = "",
        target_workspace_id: str = "",
        requester_object_id: str = "",
        governance: Governance | None = None,
    ) -> PromotionRequest:
        ruled = governance or Governance()
        request = cls(
            id=request_id,
            source_dir=source_dir,
            source_environment=source_environment,
            target_environment=target_environment,
            requested_by=requested_by,
            items=items,
            required_approvals=required_approvals,
            note=note,
            config_path=config_path,
            terms=terms,
            target_workspace_id=target_workspace_id,
            requester_object_id=requester_object_id,
            change=ruled.change,
            emergency=ruled.emergency,
            approver_groups=ruled.approver_groups,
            emergency_approvers=ruled.emergency_approvers,
            validations=ruled.validations,
        )
        request._log(at, str(requested_by), "requested", note, requester_object_id)
        if ruled.emergency:
            groups = ", ".join(ruled.emergency_approvers)
            detail = f"in a freeze window; needs an approval from {groups}"
            request._log(at, str(requested_by), "emergency", detail, requester_object_id)
        request.record(
            events.PromotionRequested(
                request_id, source_environment, target_environment, str(requested_by),
                tuple(i.key for i in items), required_approvals, actor_object_id=requester_object_id,
            )
        )  # fmt: skip
        return request

    @property
    def subject(self) -> str:
        return f"promotion request {self.id}"

    def ensure_approvable_by(self, approver: Identity, object_id: str = "") -> None:
        """Refuse, before anything is read, an approval the state or separation of duties forbids.

        Names are compared leniently (`Identity.may_be`): a spelling that could be the requester's,
        or an earlier approver's, is refused. Signed-in principals are one person by their object id too,
        whatever their names. So is a request changed outside fabctl (`verify_audit`)."""
        self._require(PromotionState.APPROVED)
        self.verify_audit()
        if approver.may_be(self.requested_by) or (object_id and object_id == self.requester_object_id):
            raise PromotionRuleViolation(
                f"'{approver}'{_as(self.requested_by, approver)} requested this promotion and cannot approve it "
                "(separation of duties)",
                subject=self.subject,
                field="approver",
            )
        earlier = next(
            (
                a.approver
                for a in self.approvals
                if approver.may_be(a.approver) or (object_id and object_id == a.object_id)
            ),
            None,
        )
        if earlier is not None:
            raise PromotionRuleViolation(
                f"'{approver}'{_as(earlier, approver)} has already approved this request; another approver is needed",
                subject=self.subject,
                field="approver",
            )

    def ensure_covered(self, now: ApprovalTerms) -> None:
        """Refuse when what would be deployed now is not what was requested, naming each difference."""
        differences = self.terms.differences(now)
        if differences:
            raise PromotionRuleViolation(
                "what would be deployed is no longer what was requested: " + "; ".join(differences)
                + ". An approval covers what was requested only: open a new request",
                subject=self.subject,
                field="terms",
            )  # fmt: skip

    @property
    def groups_to_check(self) -> tuple[str, ...]:
        """The groups whose membership decides whether an approval counts."""
        names = [g for alternatives in self.approver_groups for g in alternatives]
        return tuple(dict.fromkeys([*names, *(self.emergency_approvers if self.emergency else ())]))

    def ensure_groups(self, approver: Identity, member_of: frozenset[str]) -> None:
        """Refuse an approver outside a required group, or a last approval that leaves an emergency
        without its emergency approver."""
        for alternatives in self.approver_groups:
            if not member_of & set(alternatives):
                raise PromotionRuleViolation(
                    f"'{approver}' is not a member of {_either(alternatives)}, which the promotion rules require "
                    "of every approver",
                    subject=self.subject,
                    field="approver_groups",
                )
        if not self.emergency or len(self.approvals) + 1 < self.required_approvals:
            return
        given = {g for a in self.approvals for g in a.groups} | member_of
        missing = [g for g in self.emergency_approvers if g not in given]
        if missing:
            raise PromotionRuleViolation(
                f"this emergency request (in a freeze window) needs an approval from a member of "
                f"{_either(tuple(missing))}, and '{approver}' is not one",
                subject=self.subject,
                field="emergency_approvers",
            )

    def approve(
        self,
        approver: Identity,
        at: datetime,
        comment: str = "",
        *,
        now: ApprovalTerms,
        object_id: str = "",
        member_of: frozenset[str] = frozenset(),
    ) -> None:
        """Record an approval of the terms `now` (read from the source and configuration just before);
        `object_id` is a signed-in approver's (verified), "" for a typed name; `member_of` is which of
        `groups_to_check` the directory says the approver belongs to."""
        self.ensure_approvable_by(approver, object_id)
        self.ensure_covered(now)
        self.ensure_groups(approver, member_of)
        groups = tuple(g for g in self.groups_to_check if g in member_of)
        self.approvals.append(Approval(approver, at, comment, object_id, groups))
        if self.emergency and set(groups) & set(self.emergency_approvers):
            emergency = ", ".join(g for g in groups if g in self.emergency_approvers)
            self._log(at, str(approver), "emergency approved", emergency, object_id)
        count = len(self.approvals)
        if count >= self.required_approvals:
            self.state = PromotionState.APPROVED
        self._log(at, str(approver), "approved", comment, object_id)
        self.record(
            events.ApprovalRecorded(self.id, str(approver), count, self.required_approvals, actor_object_id=object_id)
        )
        if self.state is PromotionState.APPROVED:
            self.record(events.PromotionApproved(self.id, tuple(str(a.approver) for a in self.approvals)))

    def reject(self, rejected_by: Identity, reason: str, at: datetime, object_id: str = "") -> None:
        self._move(PromotionState.REJECTED, str(rejected_by), at, reason, object_id=object_id, reason=reason)
        self.record(events.PromotionRejected(self.id, str(rejected_by), reason))

    def cancel(self, cancelled_by: Identity, at: datetime, object_id: str = "") -> None:
        """Only the requester or a person who has approved the request may withdraw it.

        Names are compared strictly here (`Identity.is_same_as`): a right is granted only to whom
        surely holds it."""
        self._require(PromotionState.CANCELLED)
        entitled = [self.requested_by, *(a.approver for a in self.approvals)]
        if not any(cancelled_by.is_same_as(person) for person in entitled):
            raise PromotionRuleViolation(
                f"'{cancelled_by}' may not cancel this request: only the requester or an approver may "
                f"(requested by '{self.requested_by}')",
                subject=self.subject,
                field="cancelled_by",
            )
        self._move(PromotionState.CANCELLED, str(cancelled_by), at, object_id=object_id)
        self.record(events.PromotionCancelled(self.id, str(cancelled_by)))

    def start_deployment(self, transaction_id: str, at: datetime) -> None:
        """Refused for a request changed outside fabctl: what was approved is no longer known."""
        self._require(PromotionState.DEPLOYING)
        self.verify_audit()
        detail = f"transaction {transaction_id}"
        self._move(PromotionState.DEPLOYING, "fabctl", at, detail, transaction_id=transaction_id)
        self.record(events.PromotionDeploying(self.id, transaction_id))

    def deploy_in_freeze(self, at: datetime) -> None:
        """Mark in the trail that this emergency request deploys inside a freeze window, under its override."""
        approvers = ", ".join(g for a in self.approvals for g in a.groups if g in self.emergency_approvers)
        self._log(at, "fabctl", "emergency deploy", f"in a freeze window, approved by {approvers or 'none'}")

    def succeed(self, at: datetime) -> None:
        self._move(PromotionState.SUCCEEDED, "fabctl", at, f"transaction {self.transaction_id}")
        self.record(events.PromotionSucceeded(self.id, self.transaction_id or ""))

    def fail(self, reason: str, at: datetime) -> None:
        self._move(PromotionState.FAILED, "fabctl", at, reason, reason=reason)
        self.record(events.PromotionFailed(self.id, reason))

    def mark_rolled_back(self, at: datetime) -> None:
        self._move(PromotionState.ROLLED_BACK, "fabctl", at, f"transaction {self.transaction_id}")
        self.record(events.PromotionRolledBack(self.id, self.transaction_id or ""))

    def _require(self, target: PromotionState) -> None:
        if target not in TRANSITIONS[self.state]:
            state = self.state.value.replace("_", " ")
            closed = "" if self.state in _OPEN else "; it is closed: open a new request if it is still wanted"
            raise IllegalTransition(
                f"cannot {_VERBS[target]} a request that is {state}{closed}", subject=self.subject, field="state"
            )

    def _move(
        self,
        target: PromotionState,
        actor: str,
        at: datetime,
        detail: str = "",
        *,
        object_id: str = "",
        reason: str | None = None,
        transaction_id: str | None = None,
    ) -> None:
        """Move to `target` with what changes with it, then log it: the entry records the state it led to."""
        self._require(target)
        self.state = target
        if reason is not None:
            self.reason = reason
        if transaction_id is not None:
            self.transaction_id = transaction_id
        self._log(at, actor, target.value, detail, object_id)

    def _log(self, at: datetime, actor: str, action: str, detail: str = "", object_id: str = "") -> None:
        """Append an entry chained to the one before, recording the request as it is now (every change of
        the request is made before its entry is logged)."""
        previous = self.audit[-1].hash if self.audit else ""
        entry = AuditEntry(at, actor, action, detail, object_id, previous=previous, state=state_digest(self))
        self.audit.append(replace(entry, hash=entry_hash(self.id, entry)))

    @property
    def audit_head(self) -> str:
        """The hash of the newest audit entry: what a promotion event publishes."""
        return self.audit[-1].hash if self.audit else ""

    def verify_audit(self, *, head: str = "") -> None:
        """Raise `AuditTampered` naming the first entry edited, removed or reordered, or the request changed
        outside fabctl since its newest entry; `head`: a hash published earlier that the trail must hold."""
        verify(self.id, self.audit, state_digest(self), head=head)

    def record(self, event: events.Event) -> None:
        if isinstance(event, events.PromotionEvent):
            event = replace(event, audit_head=self.audit_head)
        super().record(event)


def _either(groups: tuple[str, ...]) -> str:
    return " or ".join(f"group '{g}'" for g in groups)


def _as(recorded: Identity, given: Identity) -> str:
    # Name the recorded spelling when it is not the one given: "'alice' (as 'contoso\\alice')".
    return "" if recorded == given else f" (as '{recorded}')"
