"""Counts of the API requests served, for `GET /_emulator/requests` (admin calls are not counted)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_route: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._early: Counter[str] = Counter()
        self._blocked = 0
        self._throttled = 0
        self._early_polls = 0

    def record(
        self,
        route: str,
        status: int | None,
        *,
        fault: str | None,
        early_retry_by: str | None,
        blocked: bool = False,
        early_poll: bool = False,
    ) -> None:
        """One request: `route` is its template ("GET /v1/workspaces/{workspaceId}"); a dropped
        connection has no status. `early_retry_by` names the principal that sent it after being told to
        wait (early.py); `blocked`: it arrived while its principal was blocked, early or not; `early_poll`:
        it polled an operation sooner than the operation's last answer asked, and was refused for it."""
        with self._lock:
            self._by_route[route] += 1
            if status is not None:
                self._statuses[str(status)] += 1
            if status == 429:
                self._throttled += 1
            if fault is not None:
                self._faults[fault] += 1
            if early_retry_by is not None:
                self._early[early_retry_by] += 1
            if blocked:
                self._blocked += 1
            if early_poll:
                self._early_polls += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._by_route.values()),
                "byRoute": dict(sorted(self._by_route.items())),
                "statuses": dict(sorted(self._statuses.items())),
                "earlyRetries": sum(self._early.values()),
                "earlyRetriesByPrincipal": dict(sorted(self._early.items())),
                "blockedArrivals": self._blocked,
                "throttled": self._throttled,
                "earlyPolls": self._early_polls,
                "faults": dict(sorted(self._faults.items())),
            }

    def clear(self) -> None:
        with self._lock:
            self._by_route.clear()
            self._statuses.clear()
            self._faults.clear()
            self._early.clear()
            self._blocked = 0
            self._throttled = 0
            self._early_polls = 0
