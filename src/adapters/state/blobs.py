"""Before-image payloads stored once, compressed, under the SHA-256 of their content.

A journal keeps the prior content of every item it rewrites; most parts are unchanged between
deployments, so storing them by content keeps the journal small however often it is written.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from fabctl.domain.redaction import SecretValues


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class BlobStore:
    """`put` returns the payload's digest; `get` gives the payload back. Storage is the caller's."""

    save: Callable[[str, bytes], None]  # (digest, compressed bytes); a second save of a digest is a no-op
    load: Callable[[str], bytes | None]  # compressed bytes, or None
    # The secrets read in this process: their values are stored sealed (as markers naming them), and
    # read again from the secret store when a payload is loaded: at once, not when a part is read, as a
    # revert must know the values before it reads (and traces, and journals) what Fabric holds now.
    secrets: SecretValues | None = None

    def put(self, payload: bytes) -> str:
        if self.secrets is not None:
            payload = self.secrets.seal(payload)
        key = digest(payload)
        self.save(key, zlib.compress(payload, 6))
        return key

    def get(self, key: str) -> bytes:
        compressed = self.load(key)
        if compressed is None:
            raise KeyError(f"before-image blob {key} is missing from the state store")
        payload = zlib.decompress(compressed)
        return payload if self.secrets is None else self.secrets.unseal(payload)
