"""Copy one state store into another, then prove the copy: what the target exports is what the
source exported, kind by kind, count and SHA-256 alike (`fabctl state migrate`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.records import KINDS, StateRecord
from fabctl.domain.errors import InvalidConfiguration


class RecordStore(Protocol):
    def export_records(self) -> Iterator[StateRecord]: ...
    def import_records(self, records: Iterable[StateRecord]) -> None: ...


@dataclass(frozen=True)
class KindTally:
    kind: str
    count: int
    sha256: str  # over the kind's records in export order: key and document, each length-prefixed


def tally(records: Iterable[StateRecord]) -> list[KindTally]:
    """A tally per kind, every kind listed (an empty one counts 0)."""
    counts = dict.fromkeys(KINDS, 0)
    digests = {kind: hashlib.sha256() for kind in KINDS}
    for record in records:
        counts[record.kind] += 1
        for text in (record.key, record.document):
            data = text.encode("utf-8")
            digests[record.kind].update(len(data).to_bytes(8, "big") + data)
    return [KindTally(kind, counts[kind], digests[kind].hexdigest()) for kind in KINDS]


def migrate(source: RecordStore, target: RecordStore, *, source_name: str, target_name: str) -> list[KindTally]:
    """Copy `source` into the empty `target` and verify it; the tallies, or StateStoreError naming
    each kind that did not arrive whole (the source is never changed)."""
    if next(iter(target.export_records()), None) is not None:
        raise InvalidConfiguration(
            f"{target_name} already holds state: migrate into an empty store (a new table and container, or a "
            "state folder without state.db); nothing was copied",
            subject="fabctl state migrate",
            field="--to",
        )
    records = list(source.export_records())
    target.import_records(records)
    copied, stored = tally(records), tally(target.export_records())
    wrong = [
        f"{want.kind}: {want.count} copied, {got.count} read back"
        + ("" if want.count != got.count else " with different content")
        for want, got in zip(copied, stored, strict=True)
        if want != got
    ]
    if wrong:
        raise StateStoreError(
            f"the copy of {source_name} in {target_name} does not match it ({'; '.join(wrong)}); "
            f"{source_name} is unchanged: empty {target_name} and migrate again"
        )
    return copied
