"""`OpenTelemetryTelemetry`: the telemetry port on the OpenTelemetry SDK's own providers.

The providers are this adapter's, never the process-wide ones OpenTelemetry keeps: one process (a test
run) may hold several, each with its own exporters. The trace context is OpenTelemetry's `contextvars`
one, so a span is the child of the span current in its thread, or in the thread whose context it copied.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fabctl.adapters.telemetry.names import buckets_of, unit_of

INSTRUMENTATION = "fabctl"
# A client span: a call to another service (Application Insights keeps it as a dependency of type HTTP).
CLIENT_ATTRIBUTE = "http.request.method"
# A consumer span: a message taken and handled (Application Insights keeps it as a request).
CONSUMER_ATTRIBUTE = "messaging.operation.type"
_PROPAGATOR = TraceContextTextMapPropagator()


class OpenTelemetryTelemetry:
    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self._tracer = tracer_provider.get_tracer(INSTRUMENTATION)
        self._meter: Meter = meter_provider.get_meter(INSTRUMENTATION)
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._lock = threading.Lock()  # instruments are made once per name, by whichever thread is first
        self._closed = False

    @contextmanager
    def span(self, name: str, **attributes: str | int) -> Iterator[dict[str, str | int]]:
        kind = SpanKind.INTERNAL
        if CLIENT_ATTRIBUTE in attributes:
            kind = SpanKind.CLIENT
        elif attributes.get(CONSUMER_ATTRIBUTE) == "process":
            kind = SpanKind.CONSUMER
        notes: dict[str, str | int] = dict(attributes)
        # Exceptions are not recorded: their messages may hold what a user typed, or a secret; the type is.
        with self._tracer.start_as_current_span(
            name, kind=kind, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield notes
            except BaseException as e:
                span.set_attribute("error.type", type(e).__name__)
                span.set_status(Status(StatusCode.ERROR, type(e).__name__))
                raise
            finally:
                span.set_attributes(notes)

    def count(self, name: str, value: int = 1, **attributes: str | int) -> None:
        with self._lock:
            counter = self._counters.get(name)
            if counter is None:
                counter = self._counters[name] = self._meter.create_counter(name, unit=unit_of(name))
        counter.add(value, attributes)

    def record(self, name: str, value: float, **attributes: str | int) -> None:
        with self._lock:
            histogram = self._histograms.get(name)
            if histogram is None:
                histogram = self._histograms[name] = self._meter.create_histogram(
                    name, unit=unit_of(name), explicit_bucket_boundaries_advisory=buckets_of(name)
                )
        histogram.record(value, attributes)

    def carrier(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        _PROPAGATOR.inject(headers)
        return headers

    @contextmanager
    def continued(self, carrier: Mapping[str, str]) -> Iterator[None]:
        found: dict[str, Any] = {key.lower(): value for key, value in carrier.items()}
        token = otel_context.attach(_PROPAGATOR.extract(found))
        try:
            yield
        finally:
            otel_context.detach(token)

    @property
    def closed(self) -> bool:
        return self._closed

    def shutdown(self) -> None:
        """Export what is still buffered and stop: the CLI calls it before it exits. A second call does nothing."""
        if self._close():
            self.tracer_provider.shutdown()  # spans first: a metric reader's last export may take a while
            self.meter_provider.shutdown()

    def _close(self) -> bool:
        """Marks it closed; whether this call did (and so is the one to shut the providers down)."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            return True
