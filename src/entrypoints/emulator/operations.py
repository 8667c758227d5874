"""Long-running operations: the 202 acceptance, `GET /v1/operations/{id}` and its `/result`.

An operation's outcome is decided when it is accepted (the change is already applied, or, for an
injected failure, never will be); only its visible state moves with the clock:
NotStarted for the first fifth of `--lro-ms`, Running until it has passed, then Succeeded or Failed.
Operations live in memory only: a restarted emulator knows none of them (404 OperationNotFound).

`Retry-After` (on the 202 and on every poll while the operation runs) is the operation's floor (the
recorded 20 s of a create, 120 s of a publish; 0 in the fast profile) or its remaining time rounded
up, whichever is longer: a client that honours it never polls before the operation can be done.

Early polls (the `refuse_early_polls` knob, on in the recorded profile; ADR 0029): Fabric throttles a
client that polls sooner than it was told. The store remembers, per operation, when the last answer that
asked for a wait was produced (the 202, or a poll that found the operation still running); a poll of
the operation or of its `/result` taken up before that answer's *floor* has elapsed is early
(`early_poll_wait`), and the emulator refuses it with its throttle's 429. A refused poll starts no new
wait. Only the floor is enforced: an operation without one (floor 0, the fast profile) is never polled
early, and the part of a longer Retry-After that follows the operation's own remaining time is advice.
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

from fabctl.entrypoints.emulator.messages import ApiError, Response, empty_response, json_response

NOT_STARTED_SHARE = 0.2
RUNNING = frozenset({"NotStarted", "Running"})  # the states whose answers carry a Retry-After
RESULT_TYPE = "application/json"  # as recorded: `/result` is the one JSON answer without a charset
MAX_KEPT = 10_000  # a long benchmark must not grow the process without bound

FAILED_ERROR = {
    "errorCode": "UnknownError",
    "message": "An unexpected error occurred while processing the request (injected failed-operation fault)",
    "isRetriable": False,
}


@dataclass(frozen=True)
class Operation:
    id: str
    created: datetime  # wall clock, for the UTC timestamps
    started: float  # monotonic, for the state machine
    duration: float  # seconds
    result: Any  # JSON-able; None when the operation has no result
    error: dict[str, Any] | None  # set: the operation ends Failed
    retry_floor: int = 0  # seconds: the least Retry-After this operation asks for

    def status(self, now: float) -> str:
        elapsed = now - self.started
        if elapsed >= self.duration:
            return "Failed" if self.error is not None else "Succeeded"
        return "NotStarted" if elapsed < self.duration * NOT_STARTED_SHARE else "Running"

    def remaining(self, now: float) -> float:
        return max(0.0, self.started + self.duration - now)

    def retry_after(self, now: float) -> str:
        return str(max(self.retry_floor, math.ceil(self.remaining(now))))

    def state(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        changed_after = {"NotStarted": 0.0, "Running": self.duration * NOT_STARTED_SHARE}.get(status, self.duration)
        return {
            "status": status,
            "createdTimeUtc": dotnet_time(self.created),
            "lastUpdatedTimeUtc": dotnet_time(self.created + timedelta(seconds=changed_after)),
            # Real traffic: null until Succeeded, then 100; `error` present as null unless Failed.
            "percentComplete": 100 if status == "Succeeded" else None,
            "error": self.error if status == "Failed" else None,
        }


def dotnet_time(moment: datetime) -> str:
    # .NET round-trip form as recorded: no offset, seven fractional digits.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "0"


class OperationStore:
    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._operations: OrderedDict[str, Operation] = OrderedDict()
        # Per operation with a floor: when the last answer asking for a wait was produced (monotonic).
        self._told: dict[str, float] = {}

    def now(self) -> float:
        return self._monotonic()

    def start(
        self, duration: float, result: Any = None, error: dict[str, Any] | None = None, retry_floor: int = 0
    ) -> Operation:
        operation = Operation(str(uuid.uuid4()), self._wall(), self._monotonic(), duration, result, error, retry_floor)
        with self._lock:
            self._operations[operation.id] = operation
            if retry_floor > 0:
                self._told[operation.id] = operation.started  # the 202 (`accepted`) is answered as of then
            while len(self._operations) > MAX_KEPT:
                forgotten, _ = self._operations.popitem(last=False)
                self._told.pop(forgotten, None)
        return operation

    def get(self, operation_id: str) -> Operation:
        with self._lock:
            found = self._operations.get(operation_id.lower())
        if found is None:
            raise ApiError(
                404,
                "OperationNotFound",
                "The requested operation was not found",
                related_resource={"resourceId": operation_id, "resourceType": "Operation"},
            )
        return found

    def poll(self, operation_id: str) -> tuple[Operation, float]:
        """The operation and the moment its state is answered as of. An answer that finds it still
        running asks for a wait (its Retry-After), so the early-poll wait starts again from then."""
        operation = self.get(operation_id)
        now = self._monotonic()
        if operation.retry_floor > 0 and operation.status(now) in RUNNING:
            with self._lock:
                if operation.id in self._operations:
                    self._told[operation.id] = now
        return operation, now

    def early_poll_wait(self, operation_id: str) -> int | None:
        """Whole seconds (at least 1) left of the floor the last answer about `operation_id` asked the
        client to wait, if a poll now is early; None if it is not (or no such operation: its 404 follows).
        Reads only: asking again, as a refused poll does, neither resets nor extends the wait."""
        now = self._monotonic()
        with self._lock:
            operation = self._operations.get(operation_id.lower())
            told = self._told.get(operation_id.lower())
        if operation is None or told is None or operation.retry_floor <= 0:
            return None
        left = told + operation.retry_floor - now
        return max(1, math.ceil(left)) if left > 0 else None

    def clear(self) -> None:
        with self._lock:
            self._operations.clear()
            self._told.clear()


def _url(base_url: str, operation: Operation) -> str:
    return f"{base_url}/v1/operations/{operation.id}"


def accepted(operation: Operation, base_url: str) -> Response:
    """The 202 that starts polling: an empty body and three headers, as recorded."""
    headers = {
        "Location": _url(base_url, operation),
        "x-ms-operation-id": operation.id,
        "Retry-After": operation.retry_after(operation.started),
    }
    return empty_response(202, headers)


def state_response(operation: Operation, base_url: str, now: float) -> Response:
    status = operation.status(now)
    headers = {"x-ms-operation-id": operation.id}
    if status in RUNNING:
        headers["Location"] = _url(base_url, operation)
        headers["Retry-After"] = operation.retry_after(now)
    elif status == "Succeeded" and operation.result is not None:
        # Only then: a client that follows Location must not be sent to a result that is not there.
        headers["Location"] = _url(base_url, operation) + "/result"
    return json_response(200, operation.state(now), headers)


def result_response(operation: Operation, now: float) -> Response:
    if operation.status(now) != "Succeeded" or operation.result is None:
        raise ApiError(400, "OperationHasNoResult", "The operation has no result")
    return json_response(200, operation.result, content_type=RESULT_TYPE)
