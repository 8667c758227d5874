"""Item jobs over HTTP: run an on-demand job through Fabric's job scheduler and poll its instance.

`POST .../items/{id}/jobs/instances?jobType=...` answers 202 with a `Location` naming the job
instance and a `Retry-After`; the instance (`ItemJobInstance`) is read with GET, waiting what each
answer's `Retry-After` asks, until its status is one that ends (Completed, Failed, Cancelled, Deduped)
or the caller's timeout has passed. Every request goes through the shared transport, so throttling,
retries and the circuit breaker are the transport's, not this module's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.transport import FabricHttpClient
from fabctl.domain.smoke_tests import JobRun

ENDED = frozenset({"Completed", "Failed", "Cancelled", "Deduped"})


class JobPoller:
    def __init__(
        self,
        client: FabricHttpClient,
        *,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._interval = poll_interval_s  # when the service sends no Retry-After
        self._clock = clock
        self._sleep = sleep

    def run(self, workspace_id: str, item_id: str, job_type: str, timeout_s: float) -> JobRun:
        """Start the job and wait for its instance to end, at most `timeout_s` seconds."""
        deadline = self._clock() + timeout_s
        url = f"workspaces/{workspace_id}/items/{item_id}/jobs/instances"
        # Not repeated after an ambiguous failure: a second POST would start a second job.
        started = self._client.request("POST", url, params={"jobType": job_type}, idempotent=False)
        location = started.headers.get("Location", "")
        if not location:
            raise responses.unreadable(started, "the job was accepted without a Location to poll")
        instance_id = location.rstrip("/").rsplit("/", 1)[-1]
        wait = responses.retry_after_s(started)
        status = "NotStarted"
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return JobRun(instance_id, status, timed_out=True)
            self._sleep(min(self._interval if wait is None else wait, remaining))
            poll = self._client.request("GET", location)
            instance = responses.read_object(poll, "status")
            status = str(instance["status"])
            instance_id = str(instance.get("id") or instance_id)
            if status in ENDED:
                return JobRun(instance_id, status, _reason(instance.get("failureReason")))
            wait = responses.retry_after_s(poll)


def _reason(raw: Any) -> str:
    if not isinstance(raw, dict):
        return ""
    code, message = str(raw.get("errorCode") or ""), str(raw.get("message") or "")
    return ": ".join(p for p in (code, message) if p)
