"""The telemetry contract: every `Telemetry` adapter must pass these tests.

Subclasses supply the `recorded` fixture: a `RecordedTelemetry` whose `telemetry` is the adapter under
test, whose `spans` lists the spans it recorded (for OpenTelemetry, those an in-memory exporter got) and
whose `total` sums a counter over all its data points.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import pytest

from fabctl.application.ports import Telemetry


@dataclass(frozen=True)
class SpanRecord:
    name: str
    attributes: dict[str, str | int] = field(default_factory=dict)
    error: str = ""  # "" for a span that ended well; else it names the exception's type


class RecordedTelemetry(Protocol):
    telemetry: Telemetry

    def spans(self) -> list[SpanRecord]: ...
    def total(self, counter: str) -> int: ...


class DeploymentAborted(Exception):
    pass


@contextmanager
def threads_switching_often() -> Iterator[None]:
    """Let the interpreter switch threads between almost any two bytecodes: a lost update shows at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(threads: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(threads, timeout=10)

    def each(number: int) -> None:
        start.wait()
        work(number)

    workers = [threading.Thread(target=each, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)


class TelemetryContract:
    def test_a_span_is_recorded_with_its_name_and_attributes(self, recorded: RecordedTelemetry) -> None:
        with recorded.telemetry.span("fabctl.deploy", environment="dev", items=3):
            pass

        assert recorded.spans() == [SpanRecord("fabctl.deploy", {"environment": "dev", "items": 3})]

    def test_an_exception_leaves_the_span_unchanged_and_marks_it_failed(self, recorded: RecordedTelemetry) -> None:
        raised = DeploymentAborted("Sales.Report: HTTP 500")

        with pytest.raises(DeploymentAborted) as caught, recorded.telemetry.span("fabctl.item", item="Sales.Report"):
            raise raised

        assert caught.value is raised
        [span] = recorded.spans()
        assert (span.name, span.attributes) == ("fabctl.item", {"item": "Sales.Report"})
        assert "DeploymentAborted" in span.error

    def test_spans_nest_and_each_is_recorded(self, recorded: RecordedTelemetry) -> None:
        with recorded.telemetry.span("fabctl.deploy", environment="dev"):
            with recorded.telemetry.span("fabctl.item", item="A.Notebook"):
                pass
            with recorded.telemetry.span("fabctl.item", item="B.Notebook"):
                pass

        assert sorted(recorded.spans(), key=repr) == sorted(
            [
                SpanRecord("fabctl.deploy", {"environment": "dev"}),
                SpanRecord("fabctl.item", {"item": "A.Notebook"}),
                SpanRecord("fabctl.item", {"item": "B.Notebook"}),
            ],
            key=repr,
        )

    def test_counts_add_up_over_calls_and_attributes(self, recorded: RecordedTelemetry) -> None:
        telemetry = recorded.telemetry
        telemetry.count("fabctl.items_deployed", action="create")
        telemetry.count("fabctl.items_deployed", action="update")
        telemetry.count("fabctl.items_deployed", 5, action="create")
        telemetry.count("fabctl.items_failed", 2)

        assert recorded.total("fabctl.items_deployed") == 7
        assert recorded.total("fabctl.items_failed") == 2
        assert recorded.total("fabctl.never_counted") == 0

    def test_counts_from_many_threads_at_once_are_all_kept(self, recorded: RecordedTelemetry) -> None:
        threads, calls = 8, 5_000

        def work(number: int) -> None:
            for _ in range(calls):
                recorded.telemetry.count("fabctl.items_deployed", action="update")

        with threads_switching_often():
            run_together(threads, work)

        assert recorded.total("fabctl.items_deployed") == threads * calls

    def test_spans_from_many_threads_at_once_are_all_kept(self, recorded: RecordedTelemetry) -> None:
        threads, spans = 8, 20  # 160 spans: few enough for any adapter that keeps only the latest ones

        def work(number: int) -> None:
            for n in range(spans):
                with recorded.telemetry.span("fabctl.item", worker=number, n=n):
                    pass

        with threads_switching_often():
            run_together(threads, work)

        seen = sorted((s.attributes["worker"], s.attributes["n"]) for s in recorded.spans())
        assert seen == [(w, n) for w in range(threads) for n in range(spans)]

    def test_what_the_block_adds_to_the_attributes_is_on_the_span(self, recorded: RecordedTelemetry) -> None:
        with recorded.telemetry.span("GET", **{"http.request.method": "GET"}) as attributes:
            attributes["http.response.status_code"] = 200

        assert recorded.spans() == [SpanRecord("GET", {"http.request.method": "GET", "http.response.status_code": 200})]

    def test_a_carrier_without_a_trace_continues_nothing_and_changes_nothing(self, recorded: RecordedTelemetry) -> None:
        with recorded.telemetry.continued({"traceparent": "not a trace context"}), recorded.telemetry.span("a"):
            pass

        assert recorded.spans() == [SpanRecord("a")]
