"""Throttling shared by every worker of one gateway.

Fabric throttles per identity, not per connection: when one call is answered 429 with
`Retry-After`, the identity is blocked, and any other worker calling meanwhile is refused too
(and makes the block last longer). `ThrottleGate` therefore holds *every* caller until the
deadline has passed, instead of each thread backing off on its own as fabric-cicd does.
`RateLimiter` keeps the client under a requests-per-minute budget so 429s are rarer to begin with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

HEADERS_WRITE_BOUND_S = 5.0


class ThrottleGate:
    """A deadline before which no request of this gateway may be sent.

    `wait` is the cheap check a worker makes before it takes a connection. `sending` is the last one,
    made as the request's first bytes go out, and it is atomic with `block_for`: a worker between
    that check and its last header byte holds the gate open, and a 429 read meanwhile closes it only
    once those bytes are out. So every request whose bytes start after a 429 was read waits for it.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._changed = threading.Condition()
        self._open_at = float("-inf")
        self._sending = 0  # workers between the last check and their last header byte
        self._closing = 0  # 429s waiting for them

    def block_for(self, seconds: float) -> float:
        """Close the gate for `seconds` from now (never shortening a longer block); the deadline."""
        with self._changed:
            self._closing += 1
            # Headers take microseconds to write; the bound only keeps a sender that never reported back
            # (interrupted between its check and its write) from holding the gate open for good.
            self._changed.wait_for(lambda: not self._sending, timeout=HEADERS_WRITE_BOUND_S)
            self._open_at = max(self._open_at, self._clock() + max(0.0, seconds))
            self._closing -= 1
            self._changed.notify_all()
            return self._open_at

    def remaining(self) -> float:
        with self._changed:
            return max(0.0, self._open_at - self._clock())

    def wait(self) -> float:
        """Block until the gate is open; the seconds waited. Re-checks, as a block may be extended."""
        waited = 0.0
        while True:
            remaining = self.remaining()
            if remaining <= 0:
                return waited
            self._sleep(remaining)
            waited += remaining

    def start_sending(self) -> float:
        """Wait until the gate is open, and hold it open until `done_sending`; the seconds waited."""
        waited = 0.0
        while True:
            with self._changed:
                while self._closing:
                    self._changed.wait()
                remaining = self._open_at - self._clock()
                if remaining <= 0:
                    self._sending += 1
                    return waited
            self._sleep(remaining)
            waited += remaining

    def done_sending(self) -> None:
        with self._changed:
            self._sending -= 1
            self._changed.notify_all()


class RateLimiter:
    """A token bucket: `requests_per_minute` on average, bursts of at most `burst` requests.

    A caller that finds the bucket empty reserves the next token and sleeps until it is due,
    outside the lock, so concurrent callers queue in order instead of spinning.
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._rate = requests_per_minute / 60.0  # tokens per second
        self._capacity = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, waiting for it if needed; the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= 1.0  # may go negative: a reservation of a future token
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self._rate
        if wait > 0:
            self._sleep(wait)
        return wait
