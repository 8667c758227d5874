"""A circuit breaker: stop hammering a service that keeps failing.

Closed: calls pass; consecutive failures (5xx, no connection, no response) are counted and any
answer from the service resets the count. After `failure_threshold` of them the circuit opens:
calls fail at once with `FabricCircuitOpen`, without touching the network. When `cooldown_s` has
passed it is half-open: exactly one probe call goes through; its success closes the circuit, its
failure opens it for another cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

from fabctl.adapters.fabric.http.errors import FabricCircuitOpen


class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 10,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._cooldown = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self._cooldown:
                return CircuitState.HALF_OPEN
            return self._state

    def before_call(self, method: str = "", url: str = "") -> None:
        """Let the call through, or raise `FabricCircuitOpen`."""
        with self._lock:
            if self._state is CircuitState.CLOSED:
                return
            waited = self._clock() - self._opened_at
            if self._state is CircuitState.OPEN and waited >= self._cooldown:
                self._state = CircuitState.HALF_OPEN
                self._probe_out = False
            if self._state is CircuitState.HALF_OPEN and not self._probe_out:
                self._probe_out = True  # this caller is the probe
                return
            retry_in = max(0.0, self._cooldown - waited)
        raise FabricCircuitOpen(
            f"circuit open after {self._threshold} consecutive failures; not calling the service "
            f"(next probe in {retry_in:.1f}s)",
            error_code="CircuitOpen",
            method=method,
            url=url,
        )

    def record_success(self) -> None:
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._probe_out = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is CircuitState.HALF_OPEN or self._failures >= self._threshold:
                self._state = CircuitState.OPEN
                self._opened_at = self._clock()
                self._probe_out = False
