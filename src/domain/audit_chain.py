"""A promotion's audit trail as a hash chain: an edit, a removal or a reordering is found, and named.

Each entry holds `previous` (the hash of the entry before it; "" for the first), `state` (a digest of
everything that decides the promotion, as it was once the entry's action was done: requester, items
and their pinned content, pinned terms, required approvals, approvals, state, target) and `hash`, the
SHA-256 of its own content and those two. So an entry edited in place no longer matches its hash; one
removed or moved breaks the `previous` link of the entry after it; and a change made to the request
outside fabctl (an approval added in the state file, `required_approvals` lowered, a pin re-pointed)
no longer matches the `state` of the newest entry, which recorded the request as fabctl left it.

Anyone who can write the state file can also recompute every hash: what makes the trail provable is
that its newest hash (the head) goes out with every promotion event, to subscribers that keep it
(docs/audit.md). `verify(request, head=...)` then proves the trail holds that head.

The texts hashed are canonical JSON (sorted keys, no white space, UTF-8); a field left at its default
is left out, so a field added to the model later does not change the hashes already recorded.
docs/audit.md gives the exact form, for a verifier written outside fabctl.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any

from fabctl.domain.errors import PromotionRuleViolation
from fabctl.domain.identity import Identity

CHAIN_FIELDS = ("previous", "state", "hash")  # an entry's links, not its content
# Not decisive: the trail itself, and what is kept only to be published.
UNHASHED_REQUEST_FIELDS = frozenset({"audit", "events"})


class AuditTampered(PromotionRuleViolation):
    """The trail, or the request it records, was changed outside fabctl (or stored before it was chained)."""


def state_digest(request: object) -> str:
    """The digest of everything that decides the promotion (all fields but the trail)."""
    return _sha256(_canonical(_fields(request, skip=UNHASHED_REQUEST_FIELDS)))


def entry_hash(request_id: str, entry: object) -> str:
    """The hash an entry must hold: of the request's id, its content, `previous` and `state`."""
    content = _fields(entry, skip=frozenset({"hash"}))
    return _sha256(_canonical({"request": request_id, **content}))


def verify(request_id: str, entries: Iterable[Any], current_state: str, *, head: str = "") -> None:
    """Raise `AuditTampered` naming the first entry (1-based) that does not hold, or the request's
    state if it changed after the newest entry; `head`, if given, must be the hash of one entry."""
    tampered = partial(AuditTampered, subject=f"promotion request {request_id}", field="audit")
    previous, hashes, last = "", [], None
    for number, entry in enumerate(entries, start=1):
        if not entry.hash:
            raise tampered(
                f"audit entry {number} ({entry.action}) has no hash: the trail is not chained (the request was "
                "stored by a fabctl older than the chained trail, or edited); open a new request"
            )
        if entry.previous != previous:
            place = "is not the first entry" if number == 1 else f"does not follow entry {number - 1}"
            raise tampered(
                f"audit entry {number} ({entry.action}) {place}: an entry before it was removed, or the entries "
                "were reordered"
            )
        if entry_hash(request_id, entry) != entry.hash:
            raise tampered(f"audit entry {number} ({entry.action}) was edited: its content no longer has its hash")
        previous, last = entry.hash, entry
        hashes.append(entry.hash)
    if last is None:
        raise tampered("the audit trail is empty: every request records at least its request")
    if last.state != current_state:
        raise tampered(
            f"the request was changed after audit entry {len(hashes)} ({last.action}) recorded it: its requester, "
            "items, pinned terms, required approvals, approvals or state differ from what fabctl stored"
        )
    if head and head not in hashes:
        raise tampered(
            f"no audit entry has the hash {head}: the trail that was published is not this one (entries were "
            "removed, or the trail was rewritten)"
        )


def _fields(value: object, *, skip: frozenset[str]) -> dict[str, Any]:
    """A dataclass's fields as plain values; those at their default left out (see the module doc)."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(value):  # type: ignore[arg-type]
        if f.name in skip:
            continue
        item = getattr(value, f.name)
        if f.default is not dataclasses.MISSING and item == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and item == f.default_factory():
            continue
        found[f.name] = _plain(item)
    return found


def _plain(value: object) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, Identity):
            return str(value)  # its one spelling
        return _fields(value, skip=frozenset())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return str(value)


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
