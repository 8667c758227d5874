"""Id generators: random UUIDs, and a predictable sequence for tests."""

from __future__ import annotations

import itertools
import uuid


class UuidIdGenerator:
    def new_id(self) -> str:
        return str(uuid.uuid4())


class SequentialIdGenerator:
    """Ids that read well in tests: `prefix-0001`, `prefix-0002`, ..."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._counter):04d}"
