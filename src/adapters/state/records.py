"""A state store's content as plain records, the same from every store: what `fabctl state migrate` moves.

Each record is one thing a store keeps (a promotion, a journal header, a step, ...), its key, and a
canonical JSON document of what is kept for it. Two stores holding the same state export the same
records in the same order, byte for byte, so a migration is verified by exporting both and comparing.
Derived rows (indexes, pending markers) are not records: a store rebuilds them on import.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fabctl.adapters.state import StateStoreError

KINDS = ("promotion", "transaction", "step", "deployed_item", "outbox", "inbox", "lease", "blob")
# Promotions and outbox messages are exported in the store's order (creation, then outbox order), which an
# import keeps; every other kind in the order of its key.
KEPT_IN_STORE_ORDER = frozenset({"promotion", "outbox"})


@dataclass(frozen=True)
class StateRecord:
    kind: str  # one of KINDS
    # promotion id | tx id | "{tx id}/{number}" | "{workspace}/{type}/{name}" | message id | message id
    # | workspace | digest
    key: str
    document: str  # canonical JSON text (`canonical`) of what the store keeps for it

    def fields(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.document)
        return loaded


def canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def record(kind: str, key: str, document: dict[str, Any]) -> StateRecord:
    return StateRecord(kind, key, canonical(document))


def step_key(transaction_id: str, number: int) -> str:
    return f"{transaction_id}/{number}"


def step_number(key: str) -> tuple[str, int]:
    transaction_id, number = key.rsplit("/", 1)
    return transaction_id, int(number)


def deployed_item_key(workspace_id: str, item_type: str, name: str) -> str:
    return f"{workspace_id}/{item_type}/{name}"


def blob_record(digest: str, data: bytes) -> StateRecord:
    return record("blob", digest, {"data": base64.b64encode(data).decode("ascii")})


def blob_data(blob: StateRecord) -> bytes:
    return base64.b64decode(blob.fields()["data"])


def _order_within_kind(item: StateRecord) -> tuple[Any, ...]:
    if item.kind in KEPT_IN_STORE_ORDER:
        return ()  # a stable sort keeps them as the store gave them
    if item.kind == "step":
        return step_number(item.key)
    return (item.key,)


def in_export_order(records: Iterable[StateRecord]) -> list[StateRecord]:
    """`records` by kind (in KINDS order), each kind in its order (see KEPT_IN_STORE_ORDER)."""
    return sorted(records, key=lambda r: (KINDS.index(r.kind), _order_within_kind(r)))


def by_kind(records: Iterable[StateRecord]) -> dict[str, list[StateRecord]]:
    """Records to import, grouped by kind, in the order given; an unknown kind is refused."""
    grouped: dict[str, list[StateRecord]] = {kind: [] for kind in KINDS}
    for item in records:
        if item.kind not in grouped:
            raise StateStoreError(f"cannot import a state record of kind {item.kind!r} (key {item.key!r})")
        grouped[item.kind].append(item)
    return grouped


def refuse_unless_empty(store: str, counts: dict[str, int]) -> None:
    """An import goes into an empty store only: merging two states would need choices nobody made."""
    held = {name: n for name, n in counts.items() if n}
    if held:
        what = ", ".join(f"{n} {name}" for name, n in held.items())
        raise StateStoreError(f"state store {store} is not empty ({what}): import into an empty store")
