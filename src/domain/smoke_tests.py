"""Smoke tests: what an environment checks right after a deployment's writes (docs/smoke-tests.md).

An environment declares them in workspace-config.yaml. Each names an item of the source and what to
ask Fabric about it: run its job through Fabric's job scheduler and wait for the job instance to end
(a Notebook or a DataPipeline), wait for a Lakehouse's SQL endpoint to be provisioned, or refresh a
SemanticModel through the Power BI REST API and wait for the refresh to end. Each ends
passed or failed, within its timeout; a timeout is a failure that names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fabctl.domain.items import ItemKey

DEFAULT_TIMEOUT_S = 600

# The on-demand job Fabric's job scheduler runs for each item type that has one.
JOB_TYPES: dict[str, str] = {"Notebook": "RunNotebook", "DataPipeline": "Pipeline"}
SQL_ENDPOINT_TYPES = frozenset({"Lakehouse"})
REFRESH_TYPES = frozenset({"SemanticModel"})


class SmokeCheck(StrEnum):
    RUN = "run"  # run the item's job, wait for its instance to complete
    SQL_ENDPOINT = "sql_endpoint"  # the lakehouse's SQL endpoint is provisioned
    REFRESH = "refresh"  # refresh the semantic model (Power BI REST), wait for the refresh to end


@dataclass(frozen=True)
class SmokeTest:
    check: SmokeCheck
    item: ItemKey
    timeout_s: int = DEFAULT_TIMEOUT_S

    @property
    def job_type(self) -> str:
        """The job to run (checks of kind `run` only): inferred from the item's type."""
        return JOB_TYPES[self.item.type]

    def describe(self) -> str:
        return f"{self.check.value} {self.item} (timeout {self.timeout_s}s)"


@dataclass(frozen=True)
class JobRun:
    """How a job instance ended, as Fabric's job scheduler reports it."""

    instance_id: str
    status: str  # Completed, Failed, Cancelled, Deduped; or the last one seen when the timeout passed
    failure_reason: str = ""  # "errorCode: message" of Fabric's failureReason, "" when it has none
    timed_out: bool = False

    @property
    def completed(self) -> bool:
        return self.status == "Completed" and not self.timed_out


@dataclass(frozen=True)
class RefreshRun:
    """How a semantic model's refresh ended, as Power BI's refresh history reports it."""

    request_id: str  # the refresh's RequestId (Power BI's `requestId`)
    status: str  # Completed, Failed, Disabled; or Unknown (still running) when the timeout passed
    error: str = ""  # "errorCode: errorDescription" of the failure's serviceExceptionJson, "" when none
    timed_out: bool = False

    @property
    def completed(self) -> bool:
        return self.status == "Completed" and not self.timed_out


@dataclass(frozen=True)
class SmokeResult:
    """One smoke test's result, as the journal keeps it and `tx show` and the deploy output show it."""

    check: str  # a SmokeCheck's value
    item: str  # "Name.Type"
    passed: bool
    detail: str  # what was seen: the job's end and reason, or the endpoint's state, or the timeout
    job_type: str = ""
    job_instance_id: str = ""  # for a `refresh`: the refresh's request id
    item_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "item": self.item,
            "passed": self.passed,
            "detail": self.detail,
            "job_type": self.job_type,
            "job_instance_id": self.job_instance_id,
            "item_id": self.item_id,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SmokeResult:
        return cls(
            str(doc["check"]),
            str(doc["item"]),
            bool(doc["passed"]),
            str(doc["detail"]),
            str(doc.get("job_type", "")),
            str(doc.get("job_instance_id", "")),
            str(doc.get("item_id", "")),
        )

    def failure_message(self) -> str:
        """The one line a failed smoke test fails its deployment with."""
        what = "refresh request" if self.check == SmokeCheck.REFRESH.value else "job instance"
        instance = f" ({what} {self.job_instance_id})" if self.job_instance_id else ""
        return f"smoke test {self.check} {self.item} failed{instance}: {self.detail}"


def job_result(test: SmokeTest, item_id: str, run: JobRun) -> SmokeResult:
    """A `run` smoke test's result from how its job instance ended."""
    if run.timed_out:
        detail = f"timed out after {test.timeout_s}s with the job instance still {run.status}"
    elif run.completed:
        detail = "job instance Completed"
    else:
        reason = f": {run.failure_reason}" if run.failure_reason else ""
        detail = f"job instance ended {run.status}{reason}"
    return SmokeResult(test.check.value, str(test.item), run.completed, detail, test.job_type, run.instance_id, item_id)


def endpoint_result(test: SmokeTest, item_id: str, provisioned: bool, waited_s: float) -> SmokeResult:
    """A `sql_endpoint` smoke test's result: provisioned, or still not when its timeout passed."""
    if provisioned:
        detail = "SQL endpoint provisioned"
    else:
        detail = f"timed out after {test.timeout_s}s with the SQL endpoint still not provisioned (waited {waited_s:g}s)"
    return SmokeResult(test.check.value, str(test.item), provisioned, detail, item_id=item_id)


def refresh_result(test: SmokeTest, item_id: str, run: RefreshRun) -> SmokeResult:
    """A `refresh` smoke test's result from how the semantic model's refresh ended."""
    if run.timed_out:
        detail = f"timed out after {test.timeout_s}s with the refresh still {run.status}"
    elif run.completed:
        detail = "refresh Completed"
    else:
        reason = f": {run.error}" if run.error else ""
        detail = f"refresh ended {run.status}{reason}"
    return SmokeResult(test.check.value, str(test.item), run.completed, detail, "", run.request_id, item_id)
