"""The environment's smoke tests, run once a deployment's writes have all succeeded (docs/smoke-tests.md).

They run inside the transaction, before it commits: each result is journaled (the transaction records
it and its event), reported as an outcome of its item (action `smoke_test`), and a failure fails the
deployment like a failed write, so `on_error` decides what follows (a protected environment rolls
back by default, ADR 0047). The first failure ends the run: the
tests after it are not started, as no write starts after a failed one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import DeploymentRun, Deps, changed, durable
from fabctl.application.errors import GatewayError
from fabctl.domain.smoke_tests import SmokeCheck, SmokeResult, SmokeTest, endpoint_result, job_result, refresh_result

SQL_ENDPOINT_POLL_S = 2.0  # how often a lakehouse's SQL endpoint is asked for while it provisions


def run_smoke_tests(run: DeploymentRun, deps: Deps, sleep: Callable[[float], None] = time.sleep) -> None:
    """Every smoke test of the environment, in the order declared, until one fails."""
    for test in run.prepared.inputs.environment.smoke_tests:
        if deps.stop_requested():
            return  # a stop request winds the deployment down: no check starts after it
        result = _check(run, deps, test, sleep)
        _record(run, deps, result)
        if not result.passed:
            return


def _check(run: DeploymentRun, deps: Deps, test: SmokeTest, sleep: Callable[[float], None]) -> SmokeResult:
    item_id = run.ids_by_key.get(test.item, "")
    if not item_id:
        return SmokeResult(test.check.value, str(test.item), False, "the item is not in the target workspace")
    workspace_id = run.prepared.view.workspace_id
    try:
        with deps.telemetry.span("fabctl.smoke_test", item=str(test.item), check=test.check.value):
            if test.check is SmokeCheck.RUN:
                job = deps.gateway.run_item_job(workspace_id, item_id, test.job_type, test.timeout_s)
                return job_result(test, item_id, job)
            if test.check is SmokeCheck.REFRESH:
                refreshed = deps.gateway.refresh_semantic_model(workspace_id, item_id, test.timeout_s)
                return refresh_result(test, item_id, refreshed)
            return _sql_endpoint(deps, workspace_id, item_id, test, sleep)
    except GatewayError as e:  # Fabric refused to start the job or refresh, or failed a poll past its retries
        reason = run.prepared.inputs.rules.redactions().redact(str(e))
        return SmokeResult(test.check.value, str(test.item), False, reason, item_id=item_id)


def _sql_endpoint(
    deps: Deps, workspace_id: str, item_id: str, test: SmokeTest, sleep: Callable[[float], None]
) -> SmokeResult:
    started = deps.clock.now()
    while True:
        endpoint = deps.gateway.get_item_attribute(workspace_id, test.item.type, item_id, "sqlendpoint")
        waited = (deps.clock.now() - started).total_seconds()
        if endpoint is not None:
            return endpoint_result(test, item_id, True, waited)
        if waited >= test.timeout_s:
            return endpoint_result(test, item_id, False, waited)
        sleep(min(SQL_ENDPOINT_POLL_S, test.timeout_s - waited))


def _record(run: DeploymentRun, deps: Deps, result: SmokeResult) -> None:
    status = "passed" if result.passed else "failed"
    deps.telemetry.count("fabctl.smoke_tests", 1, check=result.check, outcome=status)
    with run.lock:
        run.tx.record_smoke_test(result)
        run.result.smoke_tests.append(result)
        run.report(ItemOutcome(result.item, "smoke_test", status, result.job_instance_id, result.detail))
        if not result.passed:
            run.ok = False
            run.result.error = run.result.error or result.failure_message()
        change = changed(run)
    durable(run, change)
