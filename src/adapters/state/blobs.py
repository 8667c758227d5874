"""Before-image payloads stored once, compressed, under the SHA-256 of their content.

A journal keeps the prior content of every item it rewrites; most parts are unchanged between
deployments, so storing them by content keeps the journal small however often it is written.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class BlobStore:
    """`put` returns the payload's digest; `get` gives the payload back. Storage is the caller's."""

    save: Callable[[str, bytes], None]  # (digest, compressed bytes); a second save of a digest is a no-op
    load: Callable[[str], bytes | None]  # compressed bytes, or None

    def put(self, payload: bytes) -> str:
        key = digest(payload)
        self.save(key, zlib.compress(payload, 6))
        return key

    def get(self, key: str) -> bytes:
        compressed = self.load(key)
        if compressed is None:
            raise KeyError(f"before-image blob {key} is missing from the state store")
        return zlib.decompress(compressed)
