"""Which requests a client sent after it had been told to wait: the emulator's `earlyRetries`.

A 429 tells a client to wait `Retry-After` seconds. Requests that reach a blocked principal are all
refused (`blockedArrivals` counts them), but most of those were already on their way when the 429 was
sent: with 64 workers, dozens of requests are in flight at any moment, and no client can call back a
request it sent before it heard of the block. Counting them would score every concurrent client, good
or bad, at about one per 429. `earlyRetries` counts only what the service can *prove* was sent after
the client had the 429, by either of two rules:

- **Same connection.** HTTP/1.1 carries one request at a time, and a client reuses a connection only
  once it has read the previous response on it whole. A request that arrives on the connection a 429
  was written to, before that 429's `Retry-After` has elapsed from the moment its writing began, was
  sent by a client that had read the 429. This holds whatever the load on either side: no clock is compared
  with another machine's, only the order of events on one connection.
- **Any connection, after a reaction time.** A request from the same principal on any connection that
  arrives more than `REACTION_S` after a 429 was written, and before its `Retry-After` has elapsed. A
  client that shares nothing between its workers (each waits only for its own 429s, as fabric-cicd's
  threads do, opening a connection per request) is caught here. The reaction time is what a loaded
  machine may take between a 429 landing in the client's socket and a thread reading it.

Arrival times are the kernel's receive stamps (`arrival.py`), so the server's own slowness is never
blamed on the client. Both rules start the wait as the 429's writing begins, before the client can
have read it, so a client that waits `Retry-After` from when it reads a 429 never scores.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

REACTION_S = 1.0
_KEPT_S = 10.0  # a notice is kept this long after its block ends, for arrivals stamped before a late read


@dataclass(frozen=True)
class _Notice:
    connection: int
    written_at: float
    until: float


class EarlyRequests:
    def __init__(self, reaction_s: float = REACTION_S) -> None:
        self._reaction_s = reaction_s
        self._lock = threading.Lock()
        self._notices: defaultdict[str, list[_Notice]] = defaultdict(list)

    def told(self, principal: str, connection: int, written_at: float, retry_after_s: float) -> None:
        """A 429 asking `principal` to wait `retry_after_s` was written on `connection` (0: unknown) at
        `written_at` (monotonic)."""
        with self._lock:
            notices = self._notices[principal]
            notices[:] = [n for n in notices if n.until + _KEPT_S > written_at]
            notices.append(_Notice(connection, written_at, written_at + retry_after_s))

    def is_early(self, principal: str, connection: int, arrived_at: float) -> bool:
        """Whether a request of `principal` arriving on `connection` at `arrived_at` ignored a 429 it had."""
        with self._lock:
            for notice in self._notices.get(principal, ()):
                if not notice.written_at < arrived_at < notice.until:
                    continue
                if notice.connection == connection != 0 or arrived_at > notice.written_at + self._reaction_s:
                    return True
            return False

    def clear(self) -> None:
        with self._lock:
            self._notices.clear()
