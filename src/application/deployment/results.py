"""What a deployment reports back: per item, what was done and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

from fabctl.domain.plan import DeploymentPlan
from fabctl.domain.smoke_tests import SmokeResult


@dataclass(frozen=True)
class ItemOutcome:
    item: str  # "Name.Type", or a folder path
    action: str  # create | update | delete | no-op | create_folder | smoke_test | ...
    status: str  # done | failed | skipped | unchanged | undone | undo_failed | passed (a smoke test)
    item_id: str = ""
    detail: str = ""


@dataclass
class DeploymentResult:
    transaction_id: str
    environment: str
    workspace_id: str
    workspace_name: str
    plan: DeploymentPlan
    state: str = "started"  # the transaction's final state
    outcomes: list[ItemOutcome] = field(default_factory=list)
    error: str = ""
    smoke_tests: list[SmokeResult] = field(default_factory=list)  # the environment's, after the writes

    @property
    def succeeded(self) -> bool:
        return self.state == "committed"
