"""An item's definition: the parts Fabric stores for it, and a content hash that ignores noise."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from fabctl.domain.errors import InvalidSource

PLATFORM_FILE = ".platform"


Payload: TypeAlias = bytes | Callable[[], bytes]


class DefinitionPart:
    """One file of a definition. The payload is kept decoded, so base64 padding cannot leak in.

    The payload is either bytes or a loader that returns them when asked (a source folder gives
    loaders, so that a deployment holds a file's bytes only while it works on that item). A loaded
    payload is never kept. Parts are equal, and hash equally, by path and content, whichever form
    they were given in. A loader may come with the size it expects to return (a file's size), so
    that `size` needs no read.
    """

    __slots__ = ("_payload", "_size", "path")

    path: str
    _payload: Payload
    _size: int | None

    def __init__(self, path: str, payload: Payload, *, size: int | None = None) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "_payload", payload)
        object.__setattr__(self, "_size", len(payload) if isinstance(payload, bytes) else size)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"DefinitionPart is immutable: cannot set {name}")

    def __reduce__(self) -> tuple[Callable[..., DefinitionPart], tuple[str, Payload, int | None]]:
        # copy and pickle rebuild through __init__, which immutability leaves as the only way in.
        return _part, (self.path, self._payload, self._size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DefinitionPart):
            return NotImplemented
        return self.path == other.path and self.payload == other.payload

    def __hash__(self) -> int:
        return hash((self.path, self.payload))

    def __repr__(self) -> str:
        size = f"{len(self._payload)} bytes" if isinstance(self._payload, bytes) else "loaded on demand"
        return f"DefinitionPart(path={self.path!r}, {size})"

    @property
    def payload(self) -> bytes:
        payload = self._payload
        return payload if isinstance(payload, bytes) else payload()

    @property
    def size(self) -> int:
        """The payload's size in bytes: known without a read when given, else read to count."""
        return self._size if self._size is not None else len(self.payload)

    @property
    def is_loaded(self) -> bool:
        """True when the bytes are held; False when they are read from their loader on each use."""
        return isinstance(self._payload, bytes)

    @classmethod
    def from_base64(cls, path: str, encoded: str) -> DefinitionPart:
        # Fabric and clients differ on padding; decode tolerantly and keep the bytes.
        compact = "".join(encoded.split())
        try:
            payload = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError) as e:
            raise InvalidSource("payload is not valid base64", subject=path, field="payload") from e
        return cls(path, payload)

    @classmethod
    def from_text(cls, path: str, text: str) -> DefinitionPart:
        return cls(path, text.encode("utf-8"))

    def to_base64(self) -> str:
        return base64.b64encode(self.payload).decode("ascii")

    @property
    def text(self) -> str | None:
        """The payload as text, or None for a binary part (which is never rewritten)."""
        return _text_of(self.payload)

    def normalized(self) -> bytes:
        # Line endings differ between checkouts (git autocrlf) and are not a change.
        payload = self.payload  # once: a lazy part reads its file on every access
        if b"\r\n" not in payload:
            return payload  # nothing to normalize (text or not): no copy of a possibly large payload
        text = _text_of(payload)
        return payload if text is None else text.replace("\r\n", "\n").encode("utf-8")


class _Deflated:
    """Bytes kept compressed and inflated on each read.

    A rewritten part has no file to be read from again, and its item waits for its upload, then for
    Fabric's operation (seconds), with it at hand: held as is, the rewritten definitions of all
    the items in flight add up to the peak memory. Text deflates several times over; a read (the hash,
    the upload) inflates it in a few milliseconds.
    """

    __slots__ = ("_deflated",)

    def __init__(self, deflated: bytes) -> None:
        self._deflated = deflated

    def __call__(self) -> bytes:
        return zlib.decompress(self._deflated)


_ENCODED_CHUNK = 64 * 1024  # characters encoded at a time: the text is never held as bytes too


def _deflated_part(path: str, text: str) -> DefinitionPart:
    compressor, pieces, size = zlib.compressobj(1), [], 0
    for start in range(0, len(text), _ENCODED_CHUNK):
        chunk = text[start : start + _ENCODED_CHUNK].encode("utf-8")
        size += len(chunk)
        pieces.append(compressor.compress(chunk))
    pieces.append(compressor.flush())
    return DefinitionPart(path, _Deflated(b"".join(pieces)), size=size)


def _part(path: str, payload: Payload, size: int | None) -> DefinitionPart:
    return DefinitionPart(path, payload, size=size)


def _text_of(payload: bytes) -> str | None:
    if b"\x00" in payload:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class ItemDefinition:
    """The parts of an item, ordered by path. `.platform` is metadata, not content."""

    parts: tuple[DefinitionPart, ...] = field(default=())

    def __post_init__(self) -> None:
        # Order is not content: whoever builds a definition, its parts are kept sorted by path.
        object.__setattr__(self, "parts", tuple(sorted(self.parts, key=lambda p: p.path)))

    @classmethod
    def of(cls, parts: Iterable[DefinitionPart]) -> ItemDefinition:
        return cls(tuple(parts))

    @property
    def content_parts(self) -> tuple[DefinitionPart, ...]:
        return tuple(p for p in self.parts if p.path != PLATFORM_FILE)

    @property
    def is_empty(self) -> bool:
        return not self.content_parts

    @property
    def size(self) -> int:
        """The bytes of all its parts (`.platform` included: it is sent too)."""
        return sum(p.size for p in self.parts)

    def part(self, path: str) -> DefinitionPart | None:
        return next((p for p in self.parts if p.path == path), None)

    def content_hash(self) -> str:
        """A SHA-256 over paths and normalized payloads; equal content gives an equal hash."""
        digest = hashlib.sha256()
        for part in self.content_parts:
            payload = part.normalized()
            digest.update(part.path.encode("utf-8") + b"\x00")
            digest.update(len(payload).to_bytes(8, "big"))
            digest.update(payload)  # not concatenated: that would copy a possibly large payload
        return digest.hexdigest()

    def map_text(self, rewrite: Callable[[DefinitionPart, str], str]) -> ItemDefinition:
        """A copy with every text part passed through `rewrite`; binary parts are kept as is."""
        parts = []
        for part in self.parts:
            text = part.text
            if text is None:
                parts.append(part)
                continue
            rewritten = rewrite(part, text)
            if rewritten == text:  # kept as it is: a lazy part stays lazy instead of being held as a copy
                parts.append(part)
                continue
            del text  # not held beside the rewritten text while that is compressed
            parts.append(_deflated_part(part.path, rewritten))
        return ItemDefinition(tuple(parts))

    def without_platform(self) -> ItemDefinition:
        return ItemDefinition(self.content_parts)
