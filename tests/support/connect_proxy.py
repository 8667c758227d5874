"""An HTTP CONNECT proxy on 127.0.0.1 that plays DNS for tests: host names to local ports.

Clients that honour `HTTPS_PROXY` (requests, so every Azure SDK's default transport) open a tunnel
with `CONNECT host:443`; the proxy connects it to the local port the route names and copies bytes
both ways. TLS stays end to end, between the client and the local server, so the client checks the
server's certificate against the host name it asked for, as it would in production. A host with no
route is refused (403): nothing a test does leaves the machine.

Each tunnel is counted per host, which shows which services a client actually reached.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress

HEADER_LIMIT = 16 * 1024  # a CONNECT request is one short line and a few headers
CHUNK = 64 * 1024


class ConnectProxy:
    def __init__(self, routes: Mapping[str, int]) -> None:
        """`routes`: "host:port" (as the client writes it after CONNECT) -> the 127.0.0.1 port to reach."""
        self._routes = {k.lower(): v for k, v in routes.items()}
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._tunnels: Counter[str] = Counter()
        self._refused: Counter[str] = Counter()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="connect-proxy", daemon=True)

    def tunnels(self) -> Counter[str]:
        """How many tunnels each routed host got."""
        with self._lock:
            return Counter(self._tunnels)

    def refused(self) -> Counter[str]:
        """The CONNECT targets that had no route, and how often."""
        with self._lock:
            return Counter(self._refused)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._listener.close()  # ends the accept loop
        with self._lock:
            for s in self._open:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = _read_head(client)
            words = head.split(b"\r\n", 1)[0].split()
            target = words[1].decode("ascii", "replace").lower() if len(words) == 3 else ""
            port = self._routes.get(target) if words[:1] == [b"CONNECT"] else None
            if port is None:
                with self._lock:
                    self._refused[target] += 1
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            with upstream:
                upstream.settimeout(None)
                with self._lock:
                    self._tunnels[target.rpartition(":")[0]] += 1
                    self._open.update((client, upstream))
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                back = threading.Thread(target=_copy, args=(upstream, client), daemon=True)
                back.start()
                _copy(client, upstream)
                back.join(30)
                with self._lock:
                    self._open.difference_update((client, upstream))


def _read_head(client: socket.socket) -> bytes:
    client.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < HEADER_LIMIT:
        chunk = client.recv(1024)
        if not chunk:
            break
        head += chunk
    client.settimeout(None)
    return head


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from `source` to `sink` until `source` closes; then half-close `sink` so its reader ends too."""
    with suppress(OSError):
        while chunk := source.recv(CHUNK):
            sink.sendall(chunk)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextmanager
def running_proxy(routes: Mapping[str, int]) -> Iterator[ConnectProxy]:
    proxy = ConnectProxy(routes)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
