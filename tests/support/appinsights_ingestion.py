"""An Application Insights ingestion endpoint over HTTPS on 127.0.0.1, for the real Azure Monitor exporter.

It takes what the exporter POSTs to `/v2.1/track` (a JSON array of envelopes, or JSON lines, gzip or not)
and keeps each envelope as sent; it answers as the service does (200, items received and accepted). A
client trusts it through the throwaway CA of `certificates.TestAuthority` only.
"""

from __future__ import annotations

import gzip
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from certificates import TlsFiles

TRACK = "/v2.1/track"
INSTRUMENTATION_KEY = "00000000-0000-4000-8000-000000000001"  # a made-up resource's key


@dataclass
class Ingestion:
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def connection_string(self) -> str:
        return f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint=https://127.0.0.1:{self.port}/"

    def take(self, path: str, body: bytes) -> int | None:
        if path != TRACK:
            with self._lock:
                self.refused.append(path)
            return None
        text = body.decode("utf-8")
        try:
            parsed = json.loads(text)
            received = parsed if isinstance(parsed, list) else [parsed]
        except json.JSONDecodeError:  # JSON lines
            received = [json.loads(line) for line in text.splitlines() if line.strip()]
        with self._lock:
            self.envelopes.extend(received)
        return len(received)

    def of_type(self, base_type: str) -> list[dict[str, Any]]:
        """The `baseData` of every envelope of `base_type` (RemoteDependencyData, MetricData, MessageData...)."""
        return [e["data"]["baseData"] for e in self.envelopes if e.get("data", {}).get("baseType") == base_type]


def _handler(ingestion: Ingestion) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            count = ingestion.take(self.path.split("?", 1)[0], body)
            answer = json.dumps({"itemsReceived": count or 0, "itemsAccepted": count or 0, "errors": []}).encode()
            self.send_response(404 if count is None else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_ingestion(tls: TlsFiles) -> Iterator[Ingestion]:
    ingestion = Ingestion()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ingestion))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    ingestion.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="appinsights-ingestion", daemon=True)
    thread.start()
    try:
        yield ingestion
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
