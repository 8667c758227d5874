"""When a request's first bytes reached this machine: the kernel's receive timestamp, not the time a
handler thread got round to reading them.

Under load (dozens of connections, two cores) a handler may read a request hundreds of milliseconds
after it arrived. Judging whether a client sent a request after it was told to wait (`early.py`) by the
handler's clock would then blame the client for the server's own delay. Linux stamps every received
segment (`SO_TIMESTAMPNS`); reading the request through `recvmsg_into` returns that stamp with the
bytes. Where that is unavailable (TLS sockets, other systems) the time of the read stands in.
"""

from __future__ import annotations

import io
import socket
import ssl
import struct
import sys
import time

# Linux's values; the socket module does not export them.
_SO_TIMESTAMPNS = 35
_SCM_TIMESTAMPNS = _SO_TIMESTAMPNS
_TIMESPEC = struct.Struct("qq")
_ANCILLARY_BYTES = socket.CMSG_SPACE(_TIMESPEC.size)


class StampedSocketReader(io.RawIOBase):
    """A raw reader over a connected TCP socket that remembers when the bytes it returned arrived."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._first: float | None = None  # monotonic arrival of the first read since `mark()`

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        size, ancillary, _flags, _address = self._connection.recvmsg_into([buffer], _ANCILLARY_BYTES)
        if self._first is None:
            self._first = _monotonic_arrival(ancillary)
        return size

    def mark(self) -> None:
        """Start a new request: the next read's arrival is its arrival."""
        self._first = None

    def arrival(self) -> float | None:
        """Monotonic time at which the bytes of the first read since `mark()` arrived (None: no read yet,
        the request was already buffered)."""
        return self._first


def stamped_reader(
    connection: socket.socket, buffer_size: int = io.DEFAULT_BUFFER_SIZE
) -> tuple[io.BufferedReader, StampedSocketReader] | None:
    """A buffered reader over `connection` that records arrivals, or None where the kernel cannot stamp."""
    if not sys.platform.startswith("linux") or isinstance(connection, ssl.SSLSocket):
        return None
    try:
        connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    except OSError:
        return None
    raw = StampedSocketReader(connection)
    return io.BufferedReader(raw, buffer_size), raw


def _monotonic_arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    now_wall, now_monotonic = time.time(), time.monotonic()
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SCM_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack(data[: _TIMESPEC.size])
            age = max(0.0, now_wall - (int(seconds) + int(nanoseconds) / 1e9))  # the stamp is wall-clock time
            return now_monotonic - age
    return now_monotonic
