"""A pass-through proxy in front of Azurite's table service that makes two runners' first commits race.

Each runner gets its own proxy port (its own TableEndpoint); a runner's first entity group transaction
(`POST .../$batch`, a unit of work's commit) is held until the other runner's first one has arrived too,
then both go on. Both were made from reads done before either committed, so the service sees the race
every time, not only when the processes' start-up times happen to line up.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOLD_SECONDS = 60  # a bound for a runner that never commits: then the test fails on what it sees
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def _handler(target: str, first_commit: threading.Event, other_commit: threading.Event) -> type:
    upstream = urlsplit(target)

    class Forward(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.command == "POST" and self.path.split("?")[0].endswith("/$batch") and not first_commit.is_set():
                first_commit.set()
                other_commit.wait(HOLD_SECONDS)
            connection = http.client.HTTPConnection(upstream.hostname or "", upstream.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_MERGE = do_HEAD = _forward

    return Forward


@contextmanager
def racing_commits(table_url: str) -> Iterator[tuple[str, str]]:
    """Two table URLs (scheme://host:port/account) for two runners, standing in for `table_url`."""
    upstream = urlsplit(table_url)
    commits = (threading.Event(), threading.Event())
    with ExitStack() as stack:
        urls = []
        for mine, other in (commits, commits[::-1]):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(table_url, mine, other))
            server.daemon_threads = True
            stack.callback(server.server_close)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            stack.callback(server.shutdown)
            urls.append(f"http://127.0.0.1:{server.server_address[1]}{upstream.path}")
        yield urls[0], urls[1]
