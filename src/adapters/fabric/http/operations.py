"""Long-running operations: a 202 with `Location`/`x-ms-operation-id`, polled to the end.

The poller follows `Location` verbatim (it may name another host, the tenant's home cluster),
waits what `Retry-After` asks, and stops at `Succeeded` or `Failed`. A result is read from
`/result` only when the succeeded state offers a `Location` to it, or when the call is known to
produce one (create item, getDefinition); result-less operations answer `OperationHasNoResult`
there. Every wait is bounded by a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.errors import FabricBadRequest, FabricOperationFailed, FabricOperationTimeout
from fabctl.adapters.fabric.http.transport import FabricHttpClient

SUCCEEDED = frozenset({"Succeeded", "Completed"})
# "Undefined" is in the enum but is never a state to wait on; fabric-cicd treats it as an error too.
FAILED = frozenset({"Failed", "Cancelled", "Canceled", "Undefined"})


class OperationPoller:
    def __init__(
        self,
        client: FabricHttpClient,
        *,
        deadline_s: float = 600.0,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._deadline_s = deadline_s
        self._interval = poll_interval_s  # when the service sends no Retry-After
        self._clock = clock
        self._sleep = sleep

    def finish(self, response: httpx.Response, *, has_result: bool) -> httpx.Response | None:
        """The response carrying the call's result: `response` itself unless it is a 202.

        None when the call is accepted or succeeded without a result to read.
        """
        if response.status_code != 202:
            return response
        location = response.headers.get("Location", "")
        operation_id = response.headers.get("x-ms-operation-id", "") or location.rstrip("/").rsplit("/", 1)[-1]
        if not location and not operation_id:
            return None  # accepted and not pollable (assignToCapacity)
        operation_url = location or f"{self._client.base_url}/operations/{operation_id}"
        return self._poll(operation_url, operation_id, responses.retry_after_s(response), has_result)

    def _poll(self, url: str, operation_id: str, wait: float | None, has_result: bool) -> httpx.Response | None:
        deadline = self._clock() + self._deadline_s
        status = "NotStarted"
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise FabricOperationTimeout(
                    f"operation {operation_id} was still {status} when its {self._deadline_s:g}s deadline passed; "
                    "it may yet finish on the service",
                    operation_id=operation_id,
                    last_status=status,
                    error_code="OperationDeadlineExceeded",
                    method="GET",
                    url=url,
                )
            self._sleep(min(self._interval if wait is None else wait, remaining))
            poll = self._client.request("GET", url)
            state = responses.read_object(poll, "status")
            status = str(state["status"])
            if status in SUCCEEDED:
                return self._result(poll, url, operation_id, has_result)
            if status in FAILED:
                raise _failed(poll, state, operation_id)
            wait = responses.retry_after_s(poll)
            url = poll.headers.get("Location") or url

    def _result(self, poll: httpx.Response, url: str, operation_id: str, has_result: bool) -> httpx.Response | None:
        location = poll.headers.get("Location", "")
        if location and location.rstrip("/") != url.rstrip("/"):
            try:
                return self._client.request("GET", location)
            except FabricBadRequest as e:
                # Real updateDefinition sometimes offers a /result it then has no result for.
                if e.error_code == "OperationHasNoResult" and not has_result:
                    return None
                raise
        if has_result:
            return self._client.request("GET", f"{self._client.base_url}/operations/{operation_id}/result")
        return None


def _failed(poll: httpx.Response, state: dict[str, Any], operation_id: str) -> FabricOperationFailed:
    raw = state.get("error")
    error: dict[str, Any] = raw if isinstance(raw, dict) else {}
    details = error.get("moreDetails")
    return FabricOperationFailed(
        str(error.get("message") or f"the long-running operation ended {state['status']}"),
        operation_id=operation_id,
        error_code=str(error.get("errorCode") or f"Operation{state['status']}"),
        request_id=str(error.get("requestId") or responses.request_id_of(poll)),
        method="GET",
        url=str(poll.request.url),
        more_details=[d for d in details if isinstance(d, dict)] if isinstance(details, list) else [],
        is_retriable=error.get("isRetriable") is True,
    )
