"""A 127.0.0.1 HTTP receiver of notifications: records every request and answers from a script.

Each request takes the next answer of the script: a status with headers (e.g. `(429, {"Retry-After": "2"})`),
or `HANG`, which never answers (the request is held until the receiver stops). An exhausted script answers
200. `requests` holds what arrived: method, path with query, headers (lower-cased names) and the body bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"
Answer = tuple[int, dict[str, str]] | str


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, script: list[Answer] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[Received] = []
        self._released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.requests.append(Received(self.command, self.path, headers, body))
                    answer = receiver.script.pop(0) if receiver.script else (200, {})
                if answer == HANG:
                    receiver._released.wait()  # the client's timeout ends its wait, the stop ends ours
                    return
                status, extra = answer  # type: ignore[misc]
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def stop(self) -> None:
        self._released.set()
        self._http.shutdown()
        self._http.server_close()


def webhook_receivers() -> Iterator[Any]:
    """The body of a fixture: `start(script=None)` starts a receiver, stopped at teardown."""
    started: list[WebhookReceiver] = []

    def start(script: list[Answer] | None = None) -> WebhookReceiver:
        started.append(WebhookReceiver(script))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()
