"""An item's definition: the parts Fabric stores for it, and a content hash that ignores noise."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fabctl.domain.errors import InvalidSource

PLATFORM_FILE = ".platform"


@dataclass(frozen=True)
class DefinitionPart:
    """One file of a definition. The payload is kept decoded, so base64 padding cannot leak in."""

    path: str
    payload: bytes

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
        if b"\x00" in self.payload:
            return None
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def normalized(self) -> bytes:
        # Line endings differ between checkouts (git autocrlf) and are not a change.
        text = self.text
        return self.payload if text is None else text.replace("\r\n", "\n").encode("utf-8")


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

    def part(self, path: str) -> DefinitionPart | None:
        return next((p for p in self.parts if p.path == path), None)

    def content_hash(self) -> str:
        """A SHA-256 over paths and normalized payloads; equal content gives an equal hash."""
        digest = hashlib.sha256()
        for part in self.content_parts:
            payload = part.normalized()
            digest.update(part.path.encode("utf-8") + b"\x00")
            digest.update(len(payload).to_bytes(8, "big") + payload)
        return digest.hexdigest()

    def map_text(self, rewrite: Callable[[DefinitionPart, str], str]) -> ItemDefinition:
        """A copy with every text part passed through `rewrite`; binary parts are kept as is."""
        parts = []
        for part in self.parts:
            text = part.text
            parts.append(part if text is None else DefinitionPart.from_text(part.path, rewrite(part, text)))
        return ItemDefinition(tuple(parts))

    def without_platform(self) -> ItemDefinition:
        return ItemDefinition(self.content_parts)
