"""OpenTelemetry telemetry whose spans and metrics stay in memory, read back as the SDK exported them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fabctl.adapters.telemetry.opentelemetry import OpenTelemetryTelemetry


@dataclass
class Point:
    metric: str
    unit: str
    attributes: dict[str, Any]
    value: float  # a counter's sum, a histogram's sum
    count: int = 1  # a histogram's number of measurements
    bounds: tuple[float, ...] = ()  # a histogram's bucket boundaries
    buckets: tuple[int, ...] = ()  # and its counts, one more than the boundaries


@dataclass
class Captured:
    telemetry: OpenTelemetryTelemetry
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    _points: list[Point] = field(default_factory=list)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == name]

    def points(self) -> list[Point]:
        """Every data point so far (cumulative: each call reads the totals anew)."""
        return list(_points(self.reader.get_metrics_data()))

    def total(self, metric: str, **attributes: Any) -> float:
        return sum(
            p.value
            for p in self.points()
            if p.metric == metric and all(p.attributes.get(k) == v for k, v in attributes.items())
        )

    def metric_names(self) -> set[str]:
        return {p.metric for p in self.points()}


def captured() -> Captured:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    telemetry = OpenTelemetryTelemetry(tracer_provider, MeterProvider(metric_readers=[reader]))
    return Captured(telemetry, exporter, reader)


def _points(data: Any) -> Iterator[Point]:
    if data is None:
        return
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attributes = dict(point.attributes or {})
                    if hasattr(point, "bucket_counts"):
                        yield Point(
                            metric.name, metric.unit or "", attributes, point.sum, point.count,
                            tuple(point.explicit_bounds), tuple(point.bucket_counts),
                        )  # fmt: skip
                    else:
                        yield Point(metric.name, metric.unit or "", attributes, point.value)
