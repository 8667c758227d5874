"""Smoke test results and how a transaction records them (docs/smoke-tests.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fabctl.domain import events
from fabctl.domain.errors import IllegalTransition
from fabctl.domain.items import ItemKey
from fabctl.domain.smoke_tests import JobRun, SmokeCheck, SmokeResult, SmokeTest, endpoint_result, job_result
from fabctl.domain.transaction import Transaction

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LOAD = SmokeTest(SmokeCheck.RUN, ItemKey("Notebook", "Load"), 30)


def test_a_completed_job_passes() -> None:
    result = job_result(LOAD, "item-1", JobRun("job-1", "Completed"))
    expected = SmokeResult("run", "Load.Notebook", True, "job instance Completed", "RunNotebook", "job-1", "item-1")
    assert result == expected


def test_a_failed_job_fails_with_fabrics_reason() -> None:
    result = job_result(LOAD, "item-1", JobRun("job-1", "Failed", "JobInstanceStatusFailed: boom"))
    assert not result.passed
    assert result.failure_message() == (
        "smoke test run Load.Notebook failed (job instance job-1): "
        "job instance ended Failed: JobInstanceStatusFailed: boom"
    )


@pytest.mark.parametrize("status", ["Cancelled", "Deduped"])
def test_a_job_that_ends_otherwise_than_completed_fails(status: str) -> None:
    assert job_result(LOAD, "i", JobRun("j", status)).detail == f"job instance ended {status}"


def test_a_timeout_fails_naming_it() -> None:
    result = job_result(LOAD, "i", JobRun("j", "InProgress", timed_out=True))
    assert not result.passed
    assert result.detail == "timed out after 30s with the job instance still InProgress"


def test_an_endpoint_not_provisioned_in_time_fails() -> None:
    lake = SmokeTest(SmokeCheck.SQL_ENDPOINT, ItemKey("Lakehouse", "Sales"), 5)
    assert endpoint_result(lake, "i", True, 1.0).passed
    late = endpoint_result(lake, "i", False, 5.0)
    assert late.detail == "timed out after 5s with the SQL endpoint still not provisioned (waited 5s)"


def test_results_survive_the_journals_json() -> None:
    result = job_result(LOAD, "item-1", JobRun("job-1", "Failed", "E: m"))
    assert SmokeResult.from_json(result.to_json()) == result


def test_a_transaction_records_each_result_and_its_event() -> None:
    tx = Transaction.start("tx-1", "ws-1", "prod", AT, actor="alice")
    passed = job_result(LOAD, "item-1", JobRun("job-1", "Completed"))
    failed = job_result(LOAD, "item-1", JobRun("job-2", "Failed", "E: m"))

    tx.record_smoke_test(passed)
    tx.record_smoke_test(failed)

    assert tx.smoke_tests == [passed, failed]
    assert tx.failed_smoke_test == failed
    recorded = [e for e in tx.events if not isinstance(e, events.DeploymentStarted)]
    assert recorded == [
        events.SmokeTestPassed("tx-1", "ws-1", "run", "Load.Notebook", "job-1", "alice"),
        events.SmokeTestFailed(
            "tx-1", "ws-1", "run", "Load.Notebook", "job-2", "job instance ended Failed: E: m", "alice"
        ),
    ]


def test_no_result_is_recorded_once_the_transaction_ended() -> None:
    tx = Transaction.start("tx-1", "ws-1", "prod", AT)
    tx.commit(AT)
    with pytest.raises(IllegalTransition):
        tx.record_smoke_test(job_result(LOAD, "i", JobRun("j", "Completed")))
