"""Fabric's job scheduler as the emulator models it: item job instances (docs/emulator.md, "Item jobs").

A job instance's outcome is decided when it is started (the `failing_jobs` and `job_failure_rate`
knobs); only its visible status moves with the clock: NotStarted for the first fifth of `job_ms`,
InProgress until it has passed, then Completed or Failed. Nothing runs: a notebook's code is never
executed. Instances live in memory only, like operations: a restarted emulator knows none of them.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fabctl.entrypoints.emulator.messages import ApiError
from fabctl.entrypoints.emulator.operations import dotnet_time

NOT_STARTED_SHARE = 0.2
RUNNING = frozenset({"NotStarted", "InProgress"})  # the statuses whose answers carry a Retry-After
MAX_KEPT = 10_000

# The on-demand job types each item type runs (Fabric's job scheduler: Notebook RunNotebook,
# DataPipeline Pipeline, SparkJobDefinition sparkjob).
JOB_TYPES: dict[str, frozenset[str]] = {
    "Notebook": frozenset({"RunNotebook"}),
    "DataPipeline": frozenset({"Pipeline"}),
    "SparkJobDefinition": frozenset({"sparkjob"}),
}


def failure_reason(display_name: str) -> dict[str, Any]:
    return {
        "requestId": str(uuid.uuid4()),
        "errorCode": "JobInstanceStatusFailed",
        "message": f"Job instance failed for {display_name} (failing_jobs or job_failure_rate knob)",
    }


@dataclass(frozen=True)
class JobInstance:
    id: str
    item_id: str
    job_type: str
    created: datetime  # wall clock, for the UTC timestamps
    started: float  # monotonic, for the status
    duration: float  # seconds
    failure: dict[str, Any] | None  # set: the instance ends Failed

    def status(self, now: float) -> str:
        elapsed = now - self.started
        if elapsed >= self.duration:
            return "Failed" if self.failure is not None else "Completed"
        return "NotStarted" if elapsed < self.duration * NOT_STARTED_SHARE else "InProgress"

    def retry_after(self, now: float) -> str:
        # Never 0 while it runs: a client told 0 would poll in a busy loop.
        return str(max(1, math.ceil(max(0.0, self.started + self.duration - now))))

    def to_fabric(self, now: float) -> dict[str, Any]:
        """Fabric's ItemJobInstance: `startTimeUtc` once it left NotStarted, `endTimeUtc` once it ended."""
        status = self.status(now)
        began = self.created + timedelta(seconds=self.duration * NOT_STARTED_SHARE)
        ended = self.created + timedelta(seconds=self.duration)
        return {
            "id": self.id,
            "itemId": self.item_id,
            "jobType": self.job_type,
            "invokeType": "Manual",
            "status": status,
            "rootActivityId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fabric-job:{self.id}")),
            "startTimeUtc": None if status == "NotStarted" else dotnet_time(began),
            "endTimeUtc": None if status in RUNNING else dotnet_time(ended),
            "failureReason": self.failure if status == "Failed" else None,
        }


class JobStore:
    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, JobInstance] = OrderedDict()

    def now(self) -> float:
        return self._monotonic()

    def start(self, item_id: str, job_type: str, duration: float, failure: dict[str, Any] | None) -> JobInstance:
        job = JobInstance(str(uuid.uuid4()), item_id, job_type, self._wall(), self._monotonic(), duration, failure)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                self._jobs.popitem(last=False)
        return job

    def get(self, item_id: str, job_id: str) -> JobInstance:
        with self._lock:
            found = self._jobs.get(job_id.lower())
        if found is None or found.item_id != item_id:
            raise ApiError(
                404,
                "EntityNotFound",
                "The requested job instance was not found",
                related_resource={"resourceId": job_id, "resourceType": "ItemJobInstance"},
            )
        return found

    def latest(self, item_id: str, job_type: str) -> JobInstance | None:
        """The item's newest instance of that job type (a semantic model's refresh history, newest first)."""
        with self._lock:
            found = [job for job in self._jobs.values() if job.item_id == item_id and job.job_type == job_type]
        return found[-1] if found else None

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
