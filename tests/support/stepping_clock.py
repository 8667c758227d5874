"""Single-threaded fake time for the HTTP adapters' waits: `sleep` moves the clock forward by what was asked,
so a test of a retry or a throttle takes no time and decides nothing by time."""

from __future__ import annotations


class SteppingClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []  # every wait asked for, in order

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
