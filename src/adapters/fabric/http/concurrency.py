"""How many requests of one gateway may be on the wire at once: additive increase, multiplicative decrease.

Untouched until the service first throttles, so an unthrottled deployment runs at full width (the
limit starts above any worker count). A 429 shows the budget is spent with the requests then in
flight: the limit drops to half of them, once per throttling episode (the 429s of requests sent before
the drop say nothing new). Each admitted answer adds `1/limit`, about one more request per round of
`limit` answers, so the width creeps back up while the service keeps admitting. When the throttle
gate reopens, only `limit` workers go through, instead of every worker at once into a window that
has room for a few.
"""

from __future__ import annotations

import threading

UNLIMITED = 1 << 16  # above any worker count: no worker ever waits until the service has throttled


class AdaptiveConcurrency:
    def __init__(self, ceiling: int = UNLIMITED) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self._ceiling = float(ceiling)
        self._limit = float(ceiling)
        self._in_flight = 0
        self._episode = 0  # bumped by every decrease
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        with self._changed:
            return int(self._limit)

    def acquire(self) -> int:
        """Wait for room on the wire; the episode the request is sent in (give it back to `release`)."""
        with self._changed:
            while self._in_flight >= int(self._limit):
                self._changed.wait()
            self._in_flight += 1
            return self._episode

    def release(self, episode: int, status: int | None) -> None:
        """The request sent in `episode` is over: answered `status`, or None (no answer: changes nothing)."""
        with self._changed:
            if status == 429:
                if episode == self._episode:
                    self._limit = max(1.0, self._in_flight / 2)
                    self._episode += 1
            elif status is not None:
                self._limit = min(self._ceiling, self._limit + 1 / self._limit)
            self._in_flight -= 1
            self._changed.notify_all()
