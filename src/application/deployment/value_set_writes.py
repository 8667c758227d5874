"""The executor's value set activation: after a Variable Library's own write, its value set for the
target environment made the active one, as a journaled step (see `value_set_plan.py`, ADR 0028)."""

from __future__ import annotations

from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import DeploymentRun, Deps, changed, durable, report_failure, stop_here
from fabctl.application.errors import GatewayError
from fabctl.domain.items import Item
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.transaction import StepAction
from fabctl.domain.value_sets import DEFAULT_VALUE_SET, ValueSetWrite

ACTION = StepAction.ACTIVATE_VALUE_SET


def activate(run: DeploymentRun, change: PlannedChange, item: Item, library_id: str, deps: Deps) -> str | None:
    """After the library's own write: activate `change.value_set`, journaled; the error if it failed
    (reported as the library's outcome, failed), else None."""
    wanted = change.value_set
    assert wanted is not None
    workspace_id = run.prepared.view.workspace_id
    if stop_here(run, deps):
        with run.lock:
            detail = f"interrupted by {run.interrupted}"
            run.report(ItemOutcome(str(item.key), ACTION.value, "skipped", library_id, detail))
        return detail
    try:
        # Read again, not taken from the plan: the journal must hold what a rollback puts back.
        before = DEFAULT_VALUE_SET if change.kind is ChangeKind.CREATE else None
        before = before or deps.gateway.get_active_value_set(workspace_id, library_id)
    except GatewayError as e:
        with run.lock:
            run.ok = False
            run.failed.add(item.key)
            run.report(ItemOutcome(str(item.key), ACTION.value, "failed", library_id, str(e)))
            run.result.error = run.result.error or f"{item.key}: {e}"
        return str(e)
    with run.lock:
        intent = run.tx.record_intent(ACTION, str(item.key), library_id, None, value_set=ValueSetWrite(before, wanted))
        number = changed(run)
    durable(run, number)
    try:
        with deps.telemetry.span("fabctl.item", item=str(item.key), action=ACTION.value):
            deps.gateway.set_active_value_set(workspace_id, library_id, wanted)
    except GatewayError as e:
        error = f"activate value set '{wanted}': {e}"
        report_failure(run, deps, intent.number, str(item.key), ACTION.value, error, key=item.key)
        return error
    with run.lock:
        run.tx.record_success(intent.number, library_id)
        number = changed(run)
    durable(run, number)
    return None
