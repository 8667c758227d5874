"""The executor's shortcut writes: after a lakehouse's own write, its shortcuts made what its
`shortcuts.metadata.json` declares, one journaled step each (see `shortcuts.py`, ADR 0026)."""

from __future__ import annotations

from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import DeploymentRun, Deps, changed, durable, report_failure, stop_here
from fabctl.application.deployment.shortcuts import declared_shortcuts, live_changes
from fabctl.application.errors import GatewayError
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.items import Item
from fabctl.domain.shortcuts import ShortcutChange, ShortcutWrite
from fabctl.domain.transaction import StepAction

SHORTCUT_ACTION = StepAction.SHORTCUT.value


def deploy_shortcuts(
    run: DeploymentRun, item: Item, lakehouse_id: str, desired: ItemDefinition, deps: Deps
) -> str | None:
    """After the lakehouse's own write: make its shortcuts what its file declares, one journaled step
    per shortcut written (deletes first). The error when one was refused (reported as the lakehouse's
    outcome, failed), else None."""
    declared = declared_shortcuts(item, desired, run.prepared.inputs.source_dir)
    if declared is None:
        return None
    workspace_id = run.prepared.view.workspace_id
    try:
        changes = live_changes(deps.gateway, workspace_id, lakehouse_id, declared)
    except GatewayError as e:
        with run.lock:
            run.ok = False
            run.failed.add(item.key)
            run.report(ItemOutcome(str(item.key), SHORTCUT_ACTION, "failed", lakehouse_id, str(e)))
            run.result.error = run.result.error or f"{item.key}: {e}"
        return str(e)
    for shortcut_change in changes:
        error = _write(run, item, lakehouse_id, shortcut_change, deps)
        if error is not None:
            return error
    return None


def _write(run: DeploymentRun, item: Item, lakehouse_id: str, change: ShortcutChange, deps: Deps) -> str | None:
    current, desired = change.current, change.desired
    either = desired or current
    assert either is not None  # a change has a side to write or to delete
    path, name = either.path, either.name
    if stop_here(run, deps):
        with run.lock:
            detail = f"interrupted by {run.interrupted}"
            run.report(ItemOutcome(str(item.key), SHORTCUT_ACTION, "skipped", lakehouse_id, detail))
        return detail
    write = ShortcutWrite(path, name, current, desired)
    with run.lock:
        intent = run.tx.record_intent(StepAction.SHORTCUT, str(item.key), lakehouse_id, None, shortcut=write)
        number = changed(run)
    durable(run, number)
    workspace_id = run.prepared.view.workspace_id
    try:
        with deps.telemetry.span("fabctl.item", item=str(item.key), action=SHORTCUT_ACTION):
            if desired is None:
                deps.gateway.delete_shortcut(workspace_id, lakehouse_id, path, name)
            else:
                deps.gateway.put_shortcut(workspace_id, lakehouse_id, desired)
    except GatewayError as e:
        error = f"{change.describe()}: {e}"
        report_failure(run, deps, intent.number, str(item.key), SHORTCUT_ACTION, error, key=item.key)
        return error
    with run.lock:
        # Journaled, not reported: the lakehouse's outcome, once its shortcuts are written, is the one line.
        run.tx.record_success(intent.number, lakehouse_id)
        number = changed(run)
    durable(run, number)
    return None
