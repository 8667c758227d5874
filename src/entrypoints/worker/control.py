"""When the worker stops (a signal, --max-messages, --idle-exit) and what it did, shared by its slots."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from fabctl.entrypoints.messages.settlement import Verdict


@dataclass
class WorkerControl:
    max_messages: int | None = None
    idle_exit_s: float | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    reason: str = ""
    settled: Counter[str] = field(default_factory=Counter)
    in_hand: int = 0
    _last_activity: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self, reason: str) -> None:
        with self._lock:
            self.reason = self.reason or reason
        self.stopping.set()

    @property
    def stopped(self) -> bool:
        return self.stopping.is_set()

    def took(self) -> None:
        """A message is in hand: it is handled and settled before the worker stops."""
        with self._lock:
            self.in_hand += 1
            self._last_activity = time.monotonic()

    def finished(self, verdict: Verdict | str) -> None:
        with self._lock:
            self.in_hand -= 1
            self.settled[str(verdict)] += 1
            self._last_activity = time.monotonic()
            reached = self.max_messages is not None and self.handled >= self.max_messages
        if reached:
            self.stop("max-messages")

    @property
    def handled(self) -> int:
        return sum(self.settled.values())

    def check_idle(self) -> None:
        """Stop once nothing was received for --idle-exit seconds (and nothing is in hand)."""
        if self.idle_exit_s is None:
            return
        with self._lock:
            idle = self.in_hand == 0 and time.monotonic() - self._last_activity >= self.idle_exit_s
        if idle:
            self.stop("idle")
