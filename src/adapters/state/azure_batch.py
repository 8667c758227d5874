"""A unit of work's view of the Azure table: reads through its own writes, and one commit of them all.

Writes are buffered in an overlay keyed by RowKey (an entity, or a deletion), so a unit of work sees
its own uncommitted changes, as a SQLite transaction does; `commit` sends them as one entity group
transaction. Optimistic concurrency: the ETag of every entity read is kept (also across units of work
on this object, updated from each commit's response), and a conditional write sends it, so a change
made by another unit of work since the read fails the whole commit with `ConcurrencyConflict`;
an entity put back as it was read is not written at all.

More than 100 operations (or 4 MiB) do not fit one transaction: the unconditional sub-entities
(journal steps, deployment records) go in earlier transactions and everything else in the last one.
Readers read steps only up to the journal header's StepCount, so an earlier transaction without its
last one adds nothing they see; what it rewrote (a step's outcome, a deployment record) is visible,
which only a second writer of one journal could expose, and the workspace lease rules that out.
The events such a commit records may not all fit the last transaction either (a deployment's group
commit can hold hundreds): each outbox row it creates names a commit record (`COMMIT`), created in
the last transaction, and readers take an outbox row that names one only once that record exists.
So an event is seen, and relayed, only if the aggregate change that recorded it was stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_entities import COMMIT, PARTITION, Entity, commit_entity, commit_key, key_parts
from fabctl.application.errors import ConcurrencyConflict

MAX_OPERATIONS = 100  # per entity group transaction
MAX_BYTES = 3_500_000  # of entity data per transaction: the request limit is 4 MiB with its framing
CONFLICTS = {
    "UpdateConditionNotSatisfied": "was changed by another unit of work since this one read it",
    "EntityAlreadyExists": "was created by another unit of work meanwhile",
    "ResourceNotFound": "was deleted by another unit of work meanwhile",
}
# Created only under an id that is new (from the IdGenerator): one already stored is not a race to retry.
CREATED_ONCE = ("outbox|",)
EVENT_ROWS = ("outbox|", "pending|")  # an event's row and its pending marker
_UNREAD = object()


@dataclass(frozen=True)
class _Write:
    entity: Entity | None  # None: delete
    conditional: bool  # on the ETag read (or on absence); else an unconditional upsert
    early: bool = False  # may go in an earlier transaction when the commit does not fit in one


@dataclass(frozen=True)
class _Operation:
    key: str
    rank: int  # the order within a commit: what may go early first, conditional writes last
    operation: tuple[Any, ...]
    size: int


def describe(key: str) -> str:
    """What a RowKey holds, in words, for a message."""
    kind, *parts = key_parts(key)
    names = {
        "promotion": "promotion {0}",
        "tx": "transaction {0}",
        "txws": "the workspace index row of transaction {2}",
        "step": "step {1} of transaction {0}",
        "item": "the deployment record of {1} {2} in workspace {0}",
        "outbox": "outbox message {0}",
        "pending": "the pending marker of outbox message {1}",
        "inbox": "inbox message {0}",
        "lease": "the lease on workspace {0}",
        "commit": "the commit record {0}",
    }
    return names[kind].format(*parts) if kind in names else key


class EntityTable:
    def __init__(self, tables: TableClient) -> None:
        self._tables = tables
        self._etags: dict[str, str | None] = {}  # what this object knows of each entity: its ETag, None if absent
        self._stored: dict[str, Entity] = {}  # and the entity that ETag belongs to
        self._fixed: set[str] = set()  # read or written in this unit of work: a new read keeps the ETag it has
        self._writes: dict[str, _Write] = {}
        self._landed: set[str] = set()  # commit records seen stored: a landed commit stays landed

    @property
    def name(self) -> str:
        return self._tables.table_name

    def begin(self) -> None:
        self._writes.clear()
        self._fixed.clear()

    # -- reads -------------------------------------------------------------------------------
    def read(self, key: str) -> Entity | None:
        """The entity as this unit of work sees it; its ETag is kept for a conditional write."""
        if key in self._writes:
            return self._overlaid(key)
        found, etag = self._get(key)
        self._remember(key, etag, found)
        return found

    def peek(self, key: str) -> Entity | None:
        """As `read`, but the ETag kept (if any) stays: for facts a write copies, not for what it changes."""
        return self._overlaid(key) if key in self._writes else self._get(key)[0]

    def known(self, key: str) -> bool:
        """Whether this object knows, without asking the table, that `key` is there: written in this unit
        of work, or stored by a read or commit of this object (and not deleted in this unit of work)."""
        if key in self._writes:
            return self._writes[key].entity is not None
        return self._etags.get(key) is not None

    def range(self, start: str, end: str) -> list[Entity]:
        """Entities with RowKey in [start, end), by RowKey, as this unit of work sees them."""
        query = "PartitionKey eq @partition and RowKey ge @start and RowKey lt @end"
        parameters = {"partition": PARTITION, "start": start, "end": end}
        with self._errors("read"):
            stored = {e["RowKey"]: e for e in self._tables.query_entities(query, parameters=parameters)}
        found: dict[str, Entity] = {}
        for key, item in stored.items():
            found[key] = dict(item)
            self._remember(key, item.metadata["etag"], found[key])
        for key in self._writes:
            if start <= key < end:
                overlaid = self._overlaid(key)
                if overlaid is None:
                    found.pop(key, None)
                else:
                    found[key] = overlaid
        return [found[key] for key in sorted(found)]

    def landed(self, rows: list[Entity]) -> list[Entity]:
        """`rows` without the outbox rows of a commit that did not land (see the module doc)."""
        return [row for row in rows if COMMIT not in row or self._has_landed(row[COMMIT])]

    def _has_landed(self, commit_id: str) -> bool:
        if commit_id not in self._landed and self._get(commit_key(commit_id))[0] is not None:
            self._landed.add(commit_id)
        return commit_id in self._landed

    # -- writes ------------------------------------------------------------------------------
    def put(self, item: Entity) -> None:
        """Write `item` on the condition that it is as this unit of work read it (or still absent).
        An aggregate saved unchanged is not written: no request, and no conflict with another's change."""
        key = item["RowKey"]
        self._know(key)
        if self._stored.get(key) == item:
            self._writes.pop(key, None)
            return
        self._writes[key] = _Write(dict(item), conditional=True)

    def create(self, item: Entity) -> None:
        """Write a new entity: the commit fails if another unit of work created it meanwhile."""
        key = item["RowKey"]
        if key not in self._writes and key not in self._fixed:
            self._etags[key] = None
            self._fixed.add(key)
        self._writes[key] = _Write(dict(item), conditional=True)

    def upsert(self, item: Entity, *, early: bool = False) -> None:
        """Write `item` whatever is stored; `early`: it may go ahead of the rest (see the module doc)."""
        self._writes[item["RowKey"]] = _Write(dict(item), conditional=False, early=early)

    def delete(self, key: str) -> None:
        self._know(key)
        self._writes[key] = _Write(None, conditional=True)

    # -- commit ------------------------------------------------------------------------------
    def commit(self) -> None:
        try:
            for batch in _batches(_with_commit_record(self._operations())):
                self._submit(batch)
        finally:
            self._writes.clear()

    def discard(self) -> None:
        self._writes.clear()

    def _operations(self) -> list[_Operation]:
        operations = []
        for key, write in self._writes.items():
            etag = self._etags.get(key)
            condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
            if write.entity is None:
                if etag is None:
                    continue  # never stored (or already gone when read): nothing to delete
                keys = {"PartitionKey": PARTITION, "RowKey": key}
                operations.append(_Operation(key, 2, ("delete", keys, condition), len(key)))
                continue
            size = sum(len(str(value)) for value in write.entity.values())
            if not write.conditional:
                replace = ("upsert", write.entity, {"mode": UpdateMode.REPLACE})
                operations.append(_Operation(key, 0 if write.early else 1, replace, size))
            elif etag is None:
                operations.append(_Operation(key, _conditional_rank(key), ("create", write.entity), size))
            else:
                update = ("update", write.entity, {"mode": UpdateMode.REPLACE, **condition})
                operations.append(_Operation(key, _conditional_rank(key), update, size))
        return sorted(operations, key=lambda o: o.rank)

    def _submit(self, batch: list[_Operation]) -> None:
        try:
            responses = self._tables.submit_transaction([o.operation for o in batch])
        except TableTransactionError as e:
            failed = batch[e.index] if 0 <= e.index < len(batch) else None
            for operation in [failed] if failed is not None else batch:
                self._etags.pop(operation.key, None)  # stale: a retry reads it afresh
                self._stored.pop(operation.key, None)
                self._fixed.discard(operation.key)
            code = error_code(e)
            if code == "EntityAlreadyExists" and failed is not None and failed.key.startswith(CREATED_ONCE):
                raise StateStoreError(f"state store table {self.name}: {describe(failed.key)} is already stored") from e
            if code in CONFLICTS and failed is not None:
                what = describe(failed.key)
                raise ConcurrencyConflict(
                    f"{what} {CONFLICTS[code]}: this commit was not stored; run it again from a fresh read",
                    subject=what,
                ) from e
            where = f"{failed.operation[0]} of {describe(failed.key)}" if failed is not None else _listed(batch)
            raise StateStoreError(f"state store table {self.name}: commit failed at {where}: {answer(e)}") from e
        except AzureError as e:  # refused as a whole (or never answered): no operation is named
            where = _listed(batch)
            raise StateStoreError(f"state store table {self.name}: commit failed at {where}: {answer(e)}") from e
        for operation, response in zip(batch, responses, strict=True):
            written = None if operation.operation[0] == "delete" else operation.operation[1]
            self._etags[operation.key] = None if written is None else response.get("etag")
            self._stored.pop(operation.key, None)
            if written is not None:
                self._stored[operation.key] = written
            self._fixed.add(operation.key)

    # -- helpers -----------------------------------------------------------------------------
    def _overlaid(self, key: str) -> Entity | None:
        entity = self._writes[key].entity
        return None if entity is None else dict(entity)

    def _get(self, key: str) -> tuple[Entity | None, str | None]:
        """The stored entity and its ETag; (None, None) when there is none."""
        with self._errors("read"):
            try:
                stored = self._tables.get_entity(PARTITION, key)
            except ResourceNotFoundError as e:
                if error_code(e) == "TableNotFound":
                    raise  # not an absent entity: the store itself is missing (a StateStoreError below)
                return None, None
        return dict(stored), stored.metadata["etag"]

    def _remember(self, key: str, etag: str | None, found: Entity | None) -> None:
        if key not in self._fixed:  # the first read in a unit of work fixes what its writes are conditional on
            self._etags[key] = etag
            self._stored.pop(key, None)
            if found is not None:
                self._stored[key] = dict(found)
            self._fixed.add(key)

    def _know(self, key: str) -> None:
        """The ETag (or absence) a conditional write of `key` is sent with: read now if not known yet
        (from the table: an unconditional write buffered for it says nothing of what is stored)."""
        if key not in self._etags:
            found, etag = self._get(key)
            self._remember(key, etag, found)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except AzureError as e:
            raise StateStoreError(f"state store table {self.name}: {action} failed: {first_line(e)}") from e


def _conditional_rank(key: str) -> int:
    # Last of all what guards the aggregates (promotion, journal header, lease, inbox): should a commit's
    # other rows not fit one batch with them, outbox rows go ahead, not these.
    return 3 if key.startswith(("outbox|", "pending|")) else 4


def error_code(error: AzureError) -> str:
    """The service's error code: the SDK gives a `TableErrorCode` member, a plain string, or nothing."""
    code = getattr(error, "error_code", None)
    return str(getattr(code, "value", code or ""))


def first_line(error: Exception) -> str:
    """An SDK error's first line: its message, without the response dump that follows. An error without a
    message (the SDK's text then starts "None") is told by what it has: `answer`."""
    line = (str(error).strip().splitlines() or [""])[0].strip()
    return line if line and line != "None" else answer(error)


def answer(error: Exception) -> str:
    """What the service answered, as far as the error knows: "HTTP 500 InternalError: message"; the status
    and code alone when it gave no message, the error's type when it was never answered (no secret: the
    SDK's messages carry neither keys nor signatures)."""
    response = getattr(error, "response", None)
    status = getattr(error, "status_code", None) or getattr(response, "status_code", None)
    code = error_code(error) if isinstance(error, AzureError) else ""
    text = _said(getattr(error, "message", None))
    if not text and not status:  # never answered (a connection refused, a timeout): the error's own words
        text = _said(str(error))
    said = " ".join(p for p in (f"HTTP {status}" if status else "", "" if code == "None" else code) if p)
    if said and text:
        return f"{said}: {text}"
    return said or text or type(error).__name__


def _said(message: object) -> str:
    """A message's first line; "" for none, or for the SDK's text of a missing one ("None")."""
    line = (message.strip().splitlines() or [""])[0].strip() if isinstance(message, str) else ""
    return "" if line == "None" else line


def _listed(batch: list[_Operation], most: int = 3) -> str:
    """The operations of a batch in words: "upsert of step 1 of transaction T, update of ... (and 2 more)"."""
    named = ", ".join(f"{o.operation[0]} of {describe(o.key)}" for o in batch[:most])
    return named + (f" (and {len(batch) - most} more)" if len(batch) > most else "")


def _with_commit_record(operations: list[_Operation]) -> list[_Operation]:
    """`operations`, and for a commit that needs several transactions and creates outbox rows: those rows
    naming a new commit record, created last (so in the last transaction)."""
    if len(_batches(operations)) == 1 or not any(_creates_event_row(o) for o in operations):
        return operations
    commit_id = uuid.uuid4().hex
    tagged = [
        _Operation(o.key, o.rank, ("create", {**o.operation[1], COMMIT: commit_id}), o.size + len(commit_id))
        if _creates_event_row(o)
        else o
        for o in operations
    ]
    record = commit_entity(commit_id)
    return [*tagged, _Operation(record["RowKey"], 5, ("create", record), len(record["RowKey"]))]


def _creates_event_row(operation: _Operation) -> bool:
    return operation.operation[0] == "create" and operation.key.startswith(EVENT_ROWS)


def _batches(operations: list[_Operation]) -> list[list[_Operation]]:
    """`operations` in transactions of at most MAX_OPERATIONS and MAX_BYTES, filled from the end, so the
    last one holds as many as fit of what must commit together."""
    batches: list[list[_Operation]] = []
    current: list[_Operation] = []
    size = 0
    for operation in reversed(operations):
        if current and (len(current) == MAX_OPERATIONS or size + operation.size > MAX_BYTES):
            batches.append(current[::-1])
            current, size = [], 0
        current.append(operation)
        size += operation.size
    if current:
        batches.append(current[::-1])
    return batches[::-1]
