"""The socket side: a `ThreadingHTTPServer` that turns HTTP/1.1 into `Request`s for `EmulatorApp`,
writes its `Response`s back, and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import itertools
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.entrypoints.emulator.app import EmulatorApp
from fabctl.entrypoints.emulator.arrival import StampedSocketReader, stamped_reader
from fabctl.entrypoints.emulator.messages import Request, Response, bad_request
from fabctl.entrypoints.emulator.options import EmulatorOptions

EXPOSED_HEADERS = "RequestId,Location,Retry-After,ETag,x-ms-operation-id"
IDLE_CONNECTION_SECONDS = 120  # a keep-alive connection nobody uses must not hold a thread forever


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True  # in-flight requests must not keep a stopping process alive
    block_on_close = False
    # socketserver's default backlog is 5: a burst of new connections from many workers overflows it
    # and the kernel drops their SYNs, which the clients resend only after a second.
    request_queue_size = 128

    def __init__(self, app: EmulatorApp, options: EmulatorOptions) -> None:
        self.app = app
        self.connection_numbers = itertools.count(1)
        self.scheme = "https" if options.tls else "http"
        self.address_family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        super().__init__((options.host, options.port), _Handler)
        if options.tls_cert is not None and options.tls_key is not None:
            try:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(options.tls_cert, options.tls_key)
            except BaseException:
                self.server_close()
                raise
            # The handshake runs in the request's thread (see _Handler.setup), not in accept():
            # one slow or broken client must not stall every other connection.
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def base_url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up or fail the TLS handshake are routine here, not tracebacks.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | ssl.SSLError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    server: EmulatorServer
    timeout = IDLE_CONNECTION_SECONDS

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; with Nagle on, a client's delayed ACK would
        # add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()
        self.number = next(self.server.connection_numbers)
        self.stamps: StampedSocketReader | None = None
        stamped = stamped_reader(self.connection)
        if stamped is not None:
            self.rfile.close()
            self.rfile, self.stamps = stamped

    def handle_one_request(self) -> None:
        if self.stamps is not None:
            self.stamps.mark()  # the next bytes read start this request
        super().handle_one_request()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is /_emulator/requests; stderr stays for real problems

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True  # where the next request would start is unknown
            request_id = str(uuid.uuid4())
            refusal = bad_request("The request body framing (Content-Length or chunks) is malformed.")
            self._write(refusal.response(request_id), {"RequestId": request_id})
            return
        arrived_at = (self.stamps.arrival() if self.stamps is not None else None) or time.monotonic()
        split = urlsplit(self.path)
        host = self.headers.get("Host") or self.server.base_url.split("://", 1)[1]
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"{self.server.scheme}://{host}",
            arrived_at=arrived_at,
            connection=self.number,
        )
        response = self.server.app.handle(request)
        if response is None:
            self._drop()
        else:
            # Taken before writing: the client may read the response before this thread runs again.
            writing_at = time.monotonic()
            self._write(response)
            self.server.app.delivered(request, response, writing_at)

    def _read_body(self) -> bytes:
        # Read every byte even for GET/DELETE (fabric-cicd sends "{}" on all of them): a
        # leftover body would be parsed as the next request on this keep-alive connection.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers, up to the blank line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: Response, extra_headers: dict[str, str] | None = None) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Access-Control-Expose-Headers", EXPOSED_HEADERS)
        for name, value in {**response.headers, **(extra_headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _drop(self) -> None:
        # SO_LINGER 0: closing sends a TCP RST, so the client sees a reset rather than a clean EOF.
        # The socket is released when the handler's streams close, without the FIN a shutdown sends.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def open_tenant(options: EmulatorOptions) -> FabricTenant:
    knobs: dict[str, Any] = {
        "name_reservation_seconds": options.name_reservation_seconds,
        "sql_endpoint_seconds": options.sql_endpoint_ms / 1000,
    }
    if options.state_dir is None:
        return FabricTenant.in_memory(**knobs)
    return FabricTenant.at(options.state_dir / "tenant.db", **knobs)


def serve(options: EmulatorOptions, announce: Callable[[str], None]) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly. `announce` gets the API base URL once
    the socket is listening (callers wait for it before sending requests)."""
    tenant = open_tenant(options)
    try:
        server = EmulatorServer(EmulatorApp(tenant, options), options)
    except BaseException:
        tenant.close()
        raise
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    worker.start()
    try:
        announce(f"{server.base_url}/v1")
        while not stop.wait(0.5):  # a timed wait: signal handlers run between the waits
            pass
    finally:
        server.shutdown()
        server.server_close()
        tenant.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
