"""The telemetry contract run against every adapter (today the in-memory one; OpenTelemetry joins it)."""

from __future__ import annotations

import pytest
from telemetry_contract import SpanRecord, TelemetryContract

from fabctl.adapters.telemetry.memory import KEPT_SPANS, InMemoryTelemetry


class InMemoryRecorded:
    def __init__(self) -> None:
        self.telemetry = InMemoryTelemetry()

    def spans(self) -> list[SpanRecord]:
        return [SpanRecord(s.name, dict(s.attributes), s.error) for s in self.telemetry.spans]

    def total(self, counter: str) -> int:
        return self.telemetry.counters[counter]


class TestInMemoryTelemetry(TelemetryContract):
    @pytest.fixture
    def recorded(self) -> InMemoryRecorded:
        return InMemoryRecorded()


def test_in_memory_only_the_latest_spans_are_kept() -> None:
    telemetry = InMemoryTelemetry()
    for n in range(KEPT_SPANS + 10):
        with telemetry.span("fabctl.item", n=n):
            pass

    assert [s.attributes["n"] for s in telemetry.spans] == list(range(10, KEPT_SPANS + 10))
