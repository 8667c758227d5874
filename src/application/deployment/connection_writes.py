"""The environment's declared connections, written before any item: a missing one is created (a
journaled step, so a rollback deletes it), an existing one gets its settings and credentials sent
again (not a step: what it replaced cannot be read back, so a rollback keeps it; ADR 0051)."""

from __future__ import annotations

from fabctl.application.deployment.connection_plan import connection_write
from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import DeploymentRun, Deps, changed, durable, journal, report_failure
from fabctl.application.errors import GatewayError
from fabctl.domain.connections import ConnectionChangeKind
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.transaction import StepAction


def ensure_connections(run: DeploymentRun, deps: Deps) -> bool:
    """Every declared connection as the plan says; False (reported, journaled) when one failed."""
    inputs = run.prepared.inputs
    declared = {c.name: c for c in inputs.environment.connections}
    for change in run.prepared.plan.connections:
        connection = declared[change.name]
        item = connection.step_item
        try:
            write = connection_write(connection, inputs)  # the secrets, read again now
        except InvalidConfiguration as e:
            with run.lock:
                run.ok = False
                run.report(ItemOutcome(item, change.kind.value, "failed", detail=e.message))
                run.result.error = run.result.error or f"{item}: {e.message}"
            return False
        if change.kind is ConnectionChangeKind.CREATE:
            intent = journal(run, StepAction.CREATE_CONNECTION, item, None, None)
            try:
                created = deps.gateway.create_connection(write)
            except GatewayError as e:
                report_failure(run, deps, intent.number, item, "create", str(e), key=None)
                return False
            with run.lock:
                run.tx.record_success(intent.number, created.id)
                run.report(ItemOutcome(item, "create", "done", created.id))
                change_number = changed(run)
            durable(run, change_number)
            continue
        try:
            deps.gateway.update_connection(change.connection_id, write)
        except GatewayError as e:
            error = inputs.rules.redactions().redact(str(e))
            with run.lock:
                run.ok = False
                run.report(ItemOutcome(item, change.kind.value, "failed", change.connection_id, error))
                run.result.error = run.result.error or f"{item}: {error}"
            return False
        with run.lock:
            detail = "credentials sent again" if change.kind is ConnectionChangeKind.NO_OP else change.reason
            run.report(ItemOutcome(item, change.kind.value, "done", change.connection_id, detail))
    return True
