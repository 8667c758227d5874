"""The OpenTelemetry SDK set up to export where `FABCTL_TELEMETRY` says: console, otlp or azure-monitor.

Imported only when telemetry is exported: the SDK and its exporters cost start-up time the default (none)
never pays. Spans and log records go out in batches, metrics every minute and once more at shutdown.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, ConsoleLogRecordExporter, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from fabctl.adapters.telemetry.logs import ExportProblems, TraceCorrelation, export_logs
from fabctl.adapters.telemetry.opentelemetry import OpenTelemetryTelemetry

KINDS = ("console", "otlp", "azure-monitor")
METRICS_INTERVAL_MS = 60_000  # a long-running worker's cadence; the CLI's one export is at shutdown
EXPORT_TIMEOUT_S = 3.0  # per OTLP export, retries included, unless OTEL_EXPORTER_OTLP_*TIMEOUT is set
SERVICE_NAME = "fabctl"


@dataclass(frozen=True)
class Exporters:
    spans: SpanExporter
    metrics: MetricExporter
    logs: LogRecordExporter


def exporters(kind: str, tracer_provider: TracerProvider, *, connection_string: str = "") -> Exporters:
    """The three exporters of `kind`; the OTLP ones read the standard `OTEL_EXPORTER_OTLP_*` variables."""
    if kind == "console":  # stderr: stdout is the command's own output (JSON for --output json)
        return Exporters(
            ConsoleSpanExporter(out=sys.stderr), ConsoleMetricExporter(out=sys.stderr),
            ConsoleLogRecordExporter(out=sys.stderr),
        )  # fmt: skip
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        timeout = _otlp_timeout()
        return Exporters(OTLPSpanExporter(timeout=timeout), OTLPMetricExporter(timeout=timeout),
                         OTLPLogExporter(timeout=timeout))  # fmt: skip
    if kind == "azure-monitor":
        from azure.monitor.opentelemetry.exporter import (
            AzureMonitorLogExporter,
            AzureMonitorMetricExporter,
            AzureMonitorTraceExporter,
        )

        # No offline storage: a CLI that has exited never sends what it kept on disk.
        options: dict[str, Any] = {"connection_string": connection_string, "disable_offline_storage": True}
        return Exporters(
            # The provider it reads the resource (service name) from: this one, not OpenTelemetry's global.
            AzureMonitorTraceExporter(tracer_provider=tracer_provider, **options),
            AzureMonitorMetricExporter(**options), AzureMonitorLogExporter(**options),
        )  # fmt: skip
    raise ValueError(f"unknown telemetry exporter '{kind}': one of {', '.join(KINDS)}")


def _otlp_timeout() -> float | None:
    """The exporters' own default (10 s, retried within it) holds a CLI that cannot reach its collector for half
    a minute at exit; a shorter one unless the standard variables say otherwise (None: theirs)."""
    given = any(name.startswith("OTEL_EXPORTER_OTLP_") and name.endswith("TIMEOUT") for name in os.environ)
    return None if given else EXPORT_TIMEOUT_S


class ExportingTelemetry(OpenTelemetryTelemetry):
    """OpenTelemetry with its exporters and the log correlation; `shutdown()` flushes all and undoes both."""

    def __init__(self, kind: str, *, connection_string: str = "") -> None:
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
        tracer_provider = TracerProvider(resource=resource)
        chosen = exporters(kind, tracer_provider, connection_string=connection_string)
        tracer_provider.add_span_processor(BatchSpanProcessor(chosen.spans))
        reader = PeriodicExportingMetricReader(chosen.metrics, export_interval_millis=METRICS_INTERVAL_MS)
        super().__init__(tracer_provider, MeterProvider(resource=resource, metric_readers=[reader]))
        self._logger_provider = LoggerProvider(resource=resource)
        self._logger_provider.add_log_record_processor(BatchLogRecordProcessor(chosen.logs))
        self._problems = ExportProblems(kind, sys.stderr)
        self._correlation = TraceCorrelation()
        self._stop_logs: Callable[[], None] = export_logs(LoggingHandler(logger_provider=self._logger_provider))

    def shutdown(self) -> None:
        if not self._close():
            return
        self._stop_logs()
        self._correlation.remove()
        # The three flush at once: against an unreachable endpoint each waits out its timeout.
        providers = (self.tracer_provider, self.meter_provider, self._logger_provider)
        flushes = [threading.Thread(target=provider.shutdown) for provider in providers]
        for flush in flushes:
            flush.start()
        for flush in flushes:
            flush.join()
        self._problems.remove()


# One per process and destination: a worker's session slots and a Function app's threads each bootstrap an
# application, but the root logger's handler and the exit's flush are the process's, so they share one (two
# would export every log record twice).
_SHARED: dict[tuple[str, str], ExportingTelemetry] = {}
_SHARED_LOCK = threading.Lock()


def exporting_telemetry(kind: str, *, connection_string: str = "") -> ExportingTelemetry:
    """The process's telemetry exporting to `kind` (a new one once the last was shut down)."""
    with _SHARED_LOCK:
        telemetry = _SHARED.get((kind, connection_string))
        if telemetry is None or telemetry.closed:
            telemetry = _SHARED[(kind, connection_string)] = ExportingTelemetry(
                kind, connection_string=connection_string
            )
        return telemetry
