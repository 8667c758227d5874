"""Semantic model refreshes over HTTP: the Power BI REST API, as Fabric's v1 REST has no refresh route.

`POST {powerbi}/v1.0/myorg/groups/{ws}/datasets/{id}/refreshes` answers 202 with the refresh's `RequestId`;
the refresh history (`GET .../refreshes?$top=1`) is read until its newest entry, the one with that
request id, has a status that ends (Completed, Failed, Disabled; "Unknown" means still running) or the
caller's timeout has passed. Requests go through the shared transport (one retry policy, throttle and
breaker, the same credential's token: see ADR 0047 on the scope), like `JobPoller`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.transport import FabricHttpClient
from fabctl.domain.smoke_tests import RefreshRun

ENDED = frozenset({"Completed", "Failed", "Disabled"})


class RefreshPoller:
    def __init__(
        self,
        client: FabricHttpClient,
        powerbi_root: str,
        *,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._root = powerbi_root.rstrip("/")
        self._interval = poll_interval_s  # Power BI's refresh answers carry no Retry-After
        self._clock = clock
        self._sleep = sleep

    def refresh(self, workspace_id: str, model_id: str, timeout_s: float) -> RefreshRun:
        """Start a refresh of the semantic model and wait for it to end, at most `timeout_s` seconds."""
        deadline = self._clock() + timeout_s
        url = f"{self._root}/v1.0/myorg/groups/{workspace_id}/datasets/{model_id}/refreshes"
        # Not repeated after an ambiguous failure: a second POST would queue a second refresh.
        started = self._client.request("POST", url, json={"notifyOption": "NoNotification"}, idempotent=False)
        request_id = started.headers.get("RequestId", "")
        if not request_id:
            raise responses.unreadable(started, "the refresh was accepted without a RequestId to follow")
        status = "Unknown"
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return RefreshRun(request_id, status, timed_out=True)
            self._sleep(min(self._interval, remaining))
            history = responses.read_object(self._client.request("GET", url, params={"$top": "1"}), "value")
            latest = _latest(history["value"], request_id)
            if latest is None:
                continue  # not listed yet: the history lags the POST
            status = str(latest.get("status") or "Unknown")
            if status in ENDED:
                return RefreshRun(request_id, status, _error(latest.get("serviceExceptionJson")))


def _latest(entries: Any, request_id: str) -> dict[str, Any] | None:
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return None
    newest: dict[str, Any] = entries[0]
    return newest if str(newest.get("requestId", "")).lower() == request_id.lower() else None


def _error(raw: Any) -> str:
    """`errorCode: errorDescription` from the JSON text Power BI puts in `serviceExceptionJson`."""
    try:
        found = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return str(raw)
    if not isinstance(found, dict):
        return ""
    code, message = str(found.get("errorCode") or ""), str(found.get("errorDescription") or "")
    return ": ".join(p for p in (code, message) if p)
