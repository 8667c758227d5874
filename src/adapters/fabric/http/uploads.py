"""Sending definitions without holding them: `DefinitionUpload` streams one request body part by part,
`UploadWindow` bounds how many bytes of definitions are being sent at once (docs/adr/0015).

Encoded whole, a definition is held three times over while it is sent (its bytes, their base64, the
JSON body), and the uploads that happen to coincide set the peak memory: it grew with the
definitions' total size. Streamed, an upload holds one part's bytes and a base64 chunk; within the
window, the parts being sent at once add up to a bounded amount, or to one larger part alone.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fabctl.adapters.fabric.http.shapes import INLINE_BASE64
from fabctl.domain.definition import DefinitionPart, ItemDefinition

DEFAULT_UPLOAD_WINDOW_BYTES = 1024 * 1024
CHUNK_BYTES = 48 * 1024  # a multiple of 3: the base64 of consecutive chunks concatenates into the whole's


class DefinitionUpload:
    """The JSON body `{...fields, "definition": {"parts": [...]}}`, produced as it is sent.

    Byte for byte the body `json.dumps` would give (payloads inline, base64). Its length is counted
    first, each part read once, so that the request carries a Content-Length like any other (no
    chunked transfer encoding). It can be iterated again: a retry streams it anew. A part whose
    file changes between the count and the send makes the body disagree with its Content-Length,
    which the HTTP client refuses to send: a failed request, not a wrong definition.
    """

    def __init__(self, definition: ItemDefinition, fields: Mapping[str, Any] | None = None) -> None:
        self._parts = definition.parts
        head = json.dumps(dict(fields or {}))[:-1]  # the fields' object, left open
        self._head = (head + (", " if fields else "") + '"definition": {"parts": [').encode()
        self._length = len(self._head) + len(_TAIL) + max(0, len(self._parts) - 1) * len(_SEPARATOR)
        for part in self._parts:
            opening, closing = _framing(part)
            self._length += len(opening) + _base64_length(len(part.payload)) + len(closing)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        for n, part in enumerate(self._parts):
            opening, closing = _framing(part)
            yield (_SEPARATOR if n else b"") + opening
            payload = memoryview(part.payload)  # one part's bytes at a time, read as it is sent
            for start in range(0, len(payload), CHUNK_BYTES):
                yield base64.b64encode(payload[start : start + CHUNK_BYTES])
            del payload
            yield closing
        yield _TAIL


_SEPARATOR = b", "
_TAIL = b"]}}"


def _framing(part: DefinitionPart) -> tuple[bytes, bytes]:
    opening = '{"path": ' + json.dumps(part.path) + ', "payload": "'
    return opening.encode(), f'", "payloadType": "{INLINE_BASE64}"}}'.encode()


def _base64_length(size: int) -> int:
    return 4 * ((size + 2) // 3)


class UploadWindow:
    """At most `capacity` bytes in the window; a larger upload waits until it has the window to itself.

    First come, first served: a large upload is not overtaken forever by small ones.
    """

    def __init__(self, capacity: int = DEFAULT_UPLOAD_WINDOW_BYTES) -> None:
        if capacity < 1:
            raise ValueError("an upload window holds at least one byte")
        self.capacity = capacity
        self._used = 0
        self._queue: deque[object] = deque()
        self._changed = threading.Condition()

    @property
    def used(self) -> int:
        """Bytes held now."""
        return self._used

    @property
    def waiting(self) -> int:
        """Uploads waiting for room."""
        return len(self._queue)

    @contextmanager
    def holding(self, size: int) -> Iterator[None]:
        """Wait for room for `size` bytes (all of it, if bigger), hold it inside the block."""
        share = min(max(size, 0), self.capacity)
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            try:
                self._changed.wait_for(lambda: self._queue[0] is ticket and self._used + share <= self.capacity)
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()
            self._used += share
        try:
            yield
        finally:
            with self._changed:
                self._used -= share
                self._changed.notify_all()
