"""A 127.0.0.1 HTTP server that answers from a script, for tests of the HTTP client's own rules.

Each request takes the next (status, headers, JSON body) of the script, in order, and is noted in
`seen` with its method, path, headers and, when the test gives a clock, the time it arrived at.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], Any]  # status, headers, JSON body (None: no body)


class ScriptedServer:
    def __init__(self, script: list[Answer], clock: Callable[[], float] | None = None) -> None:
        self.script = list(script)
        self.seen: list[dict[str, Any]] = []  # {"method", "path", "headers", "at"}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                server.seen.append({**arrived, "at": clock() if clock is not None else None})
                status, headers, body = server.script.pop(0)
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def scripted_servers() -> Iterator[Callable[..., ScriptedServer]]:
    """The body of a fixture: `start(script, clock=None)` starts a server, stopped at teardown."""
    servers: list[ScriptedServer] = []

    def start(script: list[Answer], clock: Callable[[], float] | None = None) -> ScriptedServer:
        servers.append(ScriptedServer(script, clock))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
