"""A request to promote items from one environment to the next, and its approval rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fabctl.domain import events
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.errors import IllegalTransition, PromotionRuleViolation


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
    approver: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit trail."""

    at: datetime
    actor: str
    action: str
    detail: str = ""


@dataclass
class PromotionRequest(Aggregate):
    id: str
    source_dir: str
    source_environment: str
    target_environment: str
    requested_by: str
    items: tuple[PromotedItem, ...]
    required_approvals: int
    note: str = ""
    config_path: str = ""  # the workspace configuration the request was made under
    state: PromotionState = PromotionState.REQUESTED
    approvals: list[Approval] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    transaction_id: str | None = None
    reason: str = ""

    @classmethod
    def open(
        cls,
        *,
        request_id: str,
        source_dir: str,
        source_environment: str,
        target_environment: str,
        requested_by: str,
        items: tuple[PromotedItem, ...],
        required_approvals: int,
        at: datetime,
        note: str = "",
        config_path: str = "",
    ) -> PromotionRequest:
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
        )
        request._log(at, requested_by, "requested", note)
        request.record(
            events.PromotionRequested(
                request_id, source_environment, target_environment, requested_by,
                tuple(i.key for i in items), required_approvals,
            )
        )  # fmt: skip
        return request

    @property
    def subject(self) -> str:
        return f"promotion request {self.id}"

    def approve(self, approver: str, at: datetime, comment: str = "") -> None:
        self._require(PromotionState.APPROVED)
        if approver == self.requested_by:
            raise PromotionRuleViolation(
                f"'{approver}' requested this promotion and cannot approve it (separation of duties)",
                subject=self.subject,
                field="approver",
            )
        if any(a.approver == approver for a in self.approvals):
            raise PromotionRuleViolation(
                f"'{approver}' has already approved this request; another approver is needed",
                subject=self.subject,
                field="approver",
            )
        self.approvals.append(Approval(approver, at, comment))
        self._log(at, approver, "approved", comment)
        count = len(self.approvals)
        self.record(events.ApprovalRecorded(self.id, approver, count, self.required_approvals))
        if count >= self.required_approvals:
            self.state = PromotionState.APPROVED
            self.record(events.PromotionApproved(self.id, tuple(a.approver for a in self.approvals)))

    def reject(self, rejected_by: str, reason: str, at: datetime) -> None:
        self._move(PromotionState.REJECTED, rejected_by, at, reason)
        self.reason = reason
        self.record(events.PromotionRejected(self.id, rejected_by, reason))

    def cancel(self, cancelled_by: str, at: datetime) -> None:
        self._move(PromotionState.CANCELLED, cancelled_by, at)
        self.record(events.PromotionCancelled(self.id, cancelled_by))

    def start_deployment(self, transaction_id: str, at: datetime) -> None:
        self._move(PromotionState.DEPLOYING, "fabctl", at, f"transaction {transaction_id}")
        self.transaction_id = transaction_id
        self.record(events.PromotionDeploying(self.id, transaction_id))

    def succeed(self, at: datetime) -> None:
        self._move(PromotionState.SUCCEEDED, "fabctl", at, f"transaction {self.transaction_id}")
        self.record(events.PromotionSucceeded(self.id, self.transaction_id or ""))

    def fail(self, reason: str, at: datetime) -> None:
        self._move(PromotionState.FAILED, "fabctl", at, reason)
        self.reason = reason
        self.record(events.PromotionFailed(self.id, reason))

    def mark_rolled_back(self, at: datetime) -> None:
        self._move(PromotionState.ROLLED_BACK, "fabctl", at, f"transaction {self.transaction_id}")
        self.record(events.PromotionRolledBack(self.id, self.transaction_id or ""))

    def _require(self, target: PromotionState) -> None:
        if target not in TRANSITIONS[self.state]:
            state = self.state.value.replace("_", " ")
            raise IllegalTransition(
                f"cannot {_VERBS[target]} a request that is {state}", subject=self.subject, field="state"
            )

    def _move(self, target: PromotionState, actor: str, at: datetime, detail: str = "") -> None:
        self._require(target)
        self.state = target
        self._log(at, actor, target.value, detail)

    def _log(self, at: datetime, actor: str, action: str, detail: str = "") -> None:
        self.audit.append(AuditEntry(at, actor, action, detail))
