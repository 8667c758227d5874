"""Publishing Environments: writing an Environment's definition only stages its settings and libraries;
they take effect once published (ADR 0025).

The plan marks each Environment whose definition the deployment writes (`publish_plan.py`); after that
write the executor publishes it as a journaled step of its own and waits for the publish to end. A
failed publish fails the item like any failed write. Undoing a publish is publishing again once the
definition is restored, so a rollback does that last (`rollback.py`).
"""

from __future__ import annotations

from fabctl.application.deployment.run import DeploymentRun, Deps, step
from fabctl.domain.items import Item
from fabctl.domain.transaction import StepAction


def publish(run: DeploymentRun, item: Item, item_id: str, deps: Deps) -> None:
    """Publish the environment just written and wait for the publish to end (raises `StepFailed`)."""
    workspace_id = run.prepared.view.workspace_id

    def write() -> str:
        deps.gateway.publish_environment(workspace_id, item_id)
        return item_id

    # Its failure is reported as the item's outcome (action "publish"); its success shows in the item's "done".
    step(run, deps, StepAction.PUBLISH, item.key, item_id, None, write)
