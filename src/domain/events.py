"""Events: facts, in the past tense, that other parts of the system and other systems react to.

Every event names its aggregate: a promotion event its `request_id`, a transaction event its
`workspace_id`. That is the key of the ordered stream it is published on (docs/events.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """Base class. Events are published to the outbox in the commit that records them."""


@dataclass(frozen=True)
class PromotionEvent(Event):
    """An event of a promotion request; `audit_head` is the hash of the newest entry of its audit trail
    once the event's change was made (docs/audit.md), so that a subscriber can prove the trail later."""

    audit_head: str = field(default="", kw_only=True, compare=False)  # derived: not what makes the event


@dataclass(frozen=True)
class PromotionRequested(PromotionEvent):
    request_id: str
    source_environment: str
    target_environment: str
    requested_by: str
    items: tuple[str, ...]
    required_approvals: int
    # A signed-in actor's object id (the name is then verified); "" = a name typed, unverified.
    actor_object_id: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class ApprovalRecorded(PromotionEvent):
    request_id: str
    approver: str
    approvals: int
    required_approvals: int
    actor_object_id: str = field(default="", kw_only=True)  # as PromotionRequested's


@dataclass(frozen=True)
class PromotionApproved(PromotionEvent):
    request_id: str
    approvers: tuple[str, ...]


@dataclass(frozen=True)
class PromotionRejected(PromotionEvent):
    request_id: str
    rejected_by: str
    reason: str


@dataclass(frozen=True)
class PromotionCancelled(PromotionEvent):
    request_id: str
    cancelled_by: str


@dataclass(frozen=True)
class PromotionDeploying(PromotionEvent):
    request_id: str
    transaction_id: str


@dataclass(frozen=True)
class PromotionSucceeded(PromotionEvent):
    request_id: str
    transaction_id: str


@dataclass(frozen=True)
class PromotionFailed(PromotionEvent):
    request_id: str
    reason: str


@dataclass(frozen=True)
class PromotionRolledBack(PromotionEvent):
    request_id: str
    transaction_id: str


@dataclass(frozen=True)
class DeploymentStarted(Event):
    transaction_id: str
    workspace_id: str
    environment: str
    actor: str = ""  # who ran it: every transaction event names who caused it
    actor_object_id: str = field(default="", kw_only=True)  # as PromotionRequested's


@dataclass(frozen=True)
class ItemDeployed(Event):
    transaction_id: str
    item: str
    action: str
    item_id: str
    actor: str = ""
    # Keyword-only: added after `actor`, and every event needs its aggregate's key (no default).
    workspace_id: str = field(kw_only=True)


@dataclass(frozen=True)
class DeploymentFailed(Event):
    transaction_id: str
    reason: str
    actor: str = ""
    workspace_id: str = field(kw_only=True)  # keyword-only for the reason ItemDeployed's is


@dataclass(frozen=True)
class SmokeTestPassed(Event):
    """A smoke test the environment declares passed after the deployment's writes (docs/smoke-tests.md)."""

    transaction_id: str
    workspace_id: str
    check: str  # run | sql_endpoint
    item: str  # "Name.Type"
    job_instance_id: str  # "" for a check that runs no job
    actor: str = ""


@dataclass(frozen=True)
class SmokeTestFailed(Event):
    transaction_id: str
    workspace_id: str
    check: str
    item: str
    job_instance_id: str
    reason: str  # Fabric's failureReason, the state seen, or the timeout
    actor: str = ""


@dataclass(frozen=True)
class TransactionCommitted(Event):
    transaction_id: str
    workspace_id: str
    changes: int
    actor: str = ""


@dataclass(frozen=True)
class TransactionRolledBack(Event):
    transaction_id: str
    workspace_id: str
    actor: str = ""


@dataclass(frozen=True)
class RollbackIncomplete(Event):
    transaction_id: str
    workspace_id: str
    steps_not_undone: tuple[int, ...]
    actor: str = ""
