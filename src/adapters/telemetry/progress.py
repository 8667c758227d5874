"""Deployment progress kept in memory: the default where nobody watches (tests, the Function app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fabctl.application.deployment.results import ItemOutcome
from fabctl.domain.plan import DeploymentPlan


@dataclass
class RecordingProgress:
    plans: list[DeploymentPlan] = field(default_factory=list)
    outcomes: list[ItemOutcome] = field(default_factory=list)

    def started(self, plan: DeploymentPlan) -> None:
        self.plans.append(plan)

    def item_finished(self, outcome: ItemOutcome) -> None:
        self.outcomes.append(outcome)
