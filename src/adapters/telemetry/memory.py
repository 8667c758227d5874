"""Telemetry that records spans, counters and measurements in memory, for tests and local runs."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RecordedSpan:
    name: str
    attributes: dict[str, str | int]
    error: str = ""


# Only the latest spans and measurements are kept: the CLI runs on this adapter, and a list of every span grew
# with every item deployed (a deployment opens several spans per item), for nobody to read.
KEPT_SPANS = 256


@dataclass
class InMemoryTelemetry:
    spans: deque[RecordedSpan] = field(default_factory=lambda: deque(maxlen=KEPT_SPANS))
    counters: Counter[str] = field(default_factory=Counter)
    measurements: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=KEPT_SPANS))
    # `counters[name] += value` is a read and a write: two threads may both read the old count.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @contextmanager
    def span(self, name: str, **attributes: str | int) -> Iterator[dict[str, str | int]]:
        recorded = RecordedSpan(name, dict(attributes))
        self.spans.append(recorded)
        try:
            yield recorded.attributes
        except BaseException as e:
            recorded.error = type(e).__name__
            raise

    def count(self, name: str, value: int = 1, **attributes: str | int) -> None:
        with self._lock:
            self.counters[name] += value

    def record(self, name: str, value: float, **attributes: str | int) -> None:
        self.measurements.append((name, value))

    def carrier(self) -> dict[str, str]:
        return {}  # no trace is kept in memory, so there is none to carry

    @contextmanager
    def continued(self, carrier: Mapping[str, str]) -> Iterator[None]:
        yield
