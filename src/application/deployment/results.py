"""What a deployment reports back: per item, what was done and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

from fabctl.domain.plan import DeploymentPlan


@dataclass(frozen=True)
class ItemOutcome:
    item: str  # "Name.Type", or a folder path
    action: str  # create | update | delete | no-op | create_folder
    status: str  # done | failed | skipped | unchanged | undone | undo_failed
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

    @property
    def succeeded(self) -> bool:
        return self.state == "committed"
