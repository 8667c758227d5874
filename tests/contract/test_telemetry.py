"""The telemetry contract run against every adapter: the in-memory one and OpenTelemetry."""

from __future__ import annotations

import pytest
from otel_capture import captured
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


class OpenTelemetryRecorded:
    """The OpenTelemetry adapter, read back through the SDK's in-memory exporter and metric reader."""

    def __init__(self) -> None:
        self._captured = captured()
        self.telemetry = self._captured.telemetry

    def spans(self) -> list[SpanRecord]:
        return [
            SpanRecord(s.name, _without_error_type(s.attributes), s.status.description or "")
            for s in self._captured.spans()
        ]

    def total(self, counter: str) -> int:
        return int(self._captured.total(counter))


def _without_error_type(attributes: object) -> dict[str, str | int]:
    # The adapter names the error on the span twice (status and `error.type`, as OpenTelemetry asks).
    return {k: v for k, v in dict(attributes or {}).items() if k != "error.type"}  # type: ignore[call-overload]


class TestOpenTelemetryTelemetry(TelemetryContract):
    @pytest.fixture
    def recorded(self) -> OpenTelemetryRecorded:
        return OpenTelemetryRecorded()
