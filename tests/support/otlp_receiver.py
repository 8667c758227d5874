"""An OTLP/HTTP receiver on 127.0.0.1: takes what an OpenTelemetry exporter POSTs to /v1/traces, /v1/metrics
and /v1/logs (protobuf, gzip or not), decodes it with opentelemetry-proto and keeps it to be read back.

What it keeps is what was on the wire: span names, ids and attributes, metric names and units, log bodies
with the trace they were made in. It answers as a collector does (200, an empty Export*ServiceResponse).
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str  # hex
    span_id: str
    parent_span_id: str  # "" for a root
    kind: int  # opentelemetry.proto Span.SpanKind
    attributes: dict[str, Any]
    service: str  # the resource's service.name


@dataclass(frozen=True)
class ReceivedMetric:
    name: str
    unit: str
    points: list[dict[str, Any]]  # each data point's attributes


@dataclass(frozen=True)
class ReceivedLog:
    body: str
    trace_id: str
    severity: str


@dataclass
class OtlpReceiver:
    spans: list[ReceivedSpan] = field(default_factory=list)
    metrics: list[ReceivedMetric] = field(default_factory=list)
    logs: list[ReceivedLog] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # paths or bodies it could not decode
    bodies: list[bytes] = field(default_factory=list)  # every export as it came (ungzipped), to search whole
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def take(self, path: str, body: bytes) -> bytes | None:
        """Decode one export; its response's bytes, or None for a path or a body it does not know."""
        with self._lock:
            self.bodies.append(body)
        try:
            if path == "/v1/traces":
                traces = ExportTraceServiceRequest.FromString(body)
                with self._lock:
                    self.spans.extend(_spans(traces))
                return ExportTraceServiceResponse().SerializeToString()
            if path == "/v1/metrics":
                metrics = ExportMetricsServiceRequest.FromString(body)
                with self._lock:
                    self.metrics.extend(_metrics(metrics))
                return ExportMetricsServiceResponse().SerializeToString()
            if path == "/v1/logs":
                logs = ExportLogsServiceRequest.FromString(body)
                with self._lock:
                    self.logs.extend(_logs(logs))
                return ExportLogsServiceResponse().SerializeToString()
        except DecodeError:
            pass
        with self._lock:
            self.refused.append(path)
        return None

    def metric_names(self) -> set[str]:
        return {m.name for m in self.metrics}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _spans(request: ExportTraceServiceRequest) -> Iterator[ReceivedSpan]:
    for resource in request.resource_spans:
        service = str(_attributes(resource.resource.attributes).get("service.name", ""))
        for scope in resource.scope_spans:
            for span in scope.spans:
                yield ReceivedSpan(
                    span.name, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(), span.kind,
                    _attributes(span.attributes), service,
                )  # fmt: skip


def _metrics(request: ExportMetricsServiceRequest) -> Iterator[ReceivedMetric]:
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                points = getattr(metric, kind).data_points if kind else []
                yield ReceivedMetric(metric.name, metric.unit, [_attributes(p.attributes) for p in points])


def _logs(request: ExportLogsServiceRequest) -> Iterator[ReceivedLog]:
    for resource in request.resource_logs:
        for scope in resource.scope_logs:
            for record in scope.log_records:
                yield ReceivedLog(str(_value(record.body)), record.trace_id.hex(), record.severity_text)


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            answer = receiver.take(self.path, body)
            self.send_response(400 if answer is None else 200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer or b"")))
            self.end_headers()
            self.wfile.write(answer or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reads what was received, not an access log

    return Handler


@contextmanager
def running_otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
