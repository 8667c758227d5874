"""The repositories of the Azure store: the same behaviour as the SQLite ones, over one table's entities."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_entities import (
    Entity,
    inbox_entity,
    inbox_key,
    item_entity,
    item_key,
    join_text,
    key_parts,
    lease_entity,
    lease_key,
    outbox_entities,
    outbox_key,
    pending_key,
    prefix,
    promotion_entity,
    promotion_key,
    step_entity,
    step_key,
    transaction_entities,
    transaction_key,
)
from fabctl.adapters.state.blobs import BlobStore
from fabctl.adapters.state.identity_map import IdentityMap
from fabctl.adapters.state.journals import journal_from_document
from fabctl.adapters.state.leases import taken
from fabctl.adapters.state.serialization import (
    datetime_from_str,
    datetime_to_str,
    deployed_item_from_dict,
    deployed_item_to_dict,
    journal_summary_from_dict,
    lease_from_dict,
    lease_holder_to_dict,
    promotion_from_dict,
    promotion_to_dict,
    sortable_utc,
    step_to_dict,
    to_json,
    transaction_to_dict,
)
from fabctl.application.ports import DeployedItem, JournalSummary, Lease, OutboxMessage, ProcessRef
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.transaction import Transaction

if TYPE_CHECKING:
    from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork

Documents = list[dict[str, Any]]  # named here: inside the repositories `list` is their method


def end_of(start: str) -> str:
    """The first RowKey after every key that starts with `start` (which ends with the separator `|`):
    escaped parts hold only letters, digits, `-._~` and `%`, all below `}`."""
    return start[:-1] + "}"


def in_store_order(entities: list[Entity]) -> list[Entity]:
    """Promotions and outbox messages in the order they were added: by Position (see `next_position`)."""
    return sorted(entities, key=lambda e: (e["Position"], e["RowKey"]))


class AzurePromotionRepository:
    def __init__(self, uow: AzureStorageUnitOfWork) -> None:
        self._uow = uow
        self._map = IdentityMap(uow, promotion_from_dict)

    def add(self, request: PromotionRequest) -> None:
        self.write(request)
        self._map.remember(request.id, request)

    def get(self, request_id: str) -> PromotionRequest | None:
        found = self._uow.table().read(promotion_key(request_id))
        return None if found is None else self._map.materialize(request_id, join_text(found, "Body"))

    def list(self) -> list[PromotionRequest]:
        start = prefix("promotion")
        found = in_store_order(self._uow.table().range(start, end_of(start)))
        return [self._map.materialize(key_parts(e["RowKey"])[1], join_text(e, "Body")) for e in found]

    def write(self, request: PromotionRequest) -> None:
        key = promotion_key(request.id)
        stored = self._uow.table().peek(key)  # creation time and position are kept from the first write
        created = stored["CreatedAt"] if stored else sortable_utc(self._uow.now())
        position = stored["Position"] if stored else self._uow.next_position()
        body = to_json(promotion_to_dict(request))
        self._uow.table().put(promotion_entity(request.id, created, position, request.state.value, body))


class AzureTransactionRepository:
    def __init__(self, uow: AzureStorageUnitOfWork, blobs: BlobStore) -> None:
        self._uow = uow
        self._blobs = blobs
        self._step_counts: dict[str, int] = {}  # of the headers read, for the decode that follows
        self._map = IdentityMap(uow, self._decode)

    def add(self, transaction: Transaction) -> None:
        self.write(transaction)
        self._map.remember(transaction.id, transaction)

    def get(self, transaction_id: str) -> Transaction | None:
        header = self._uow.table().read(transaction_key(transaction_id))
        return None if header is None else self._materialize(header)

    def summaries(self, workspace_id: str) -> list[JournalSummary]:
        return [journal_summary_from_dict(doc) for doc in self._index(workspace_id)]

    def list(self, workspace_id: str | None = None) -> list[Transaction]:
        if workspace_id is None:
            start = prefix("tx")
            headers = self._uow.table().range(start, end_of(start))
            ordered = sorted(headers, key=lambda h: (h["StartedAt"], key_parts(h["RowKey"])[1]))
            return [self._materialize(h) for h in ordered]
        found = []
        for doc in self._index(workspace_id):
            header = self._uow.table().read(transaction_key(doc["id"]))
            if header is not None:
                found.append(self._materialize(header))
        return found

    def write(self, tx: Transaction) -> None:
        """The header, its workspace index row, and the steps that changed since this process stored them."""
        table = self._uow.table()
        for step in self._uow.step_marks.changed(tx):
            table.upsert(step_entity(tx.id, step.number, to_json(step_to_dict(step, self._blobs))), early=True)
        header = to_json(transaction_to_dict(tx, self._blobs, with_steps=False))
        started = sortable_utc(tx.started_at)
        stored, index = transaction_entities(tx.id, tx.workspace_id, tx.state.value, started, len(tx.steps), header)
        table.upsert(index)
        table.put(stored)

    def _index(self, workspace_id: str) -> Documents:
        start = prefix("txws", workspace_id)
        rows = self._uow.table().range(start, end_of(start))
        docs = [json.loads(join_text(row, "Body")) for row in rows]
        return sorted(docs, key=lambda d: (sortable_utc(datetime_from_str(d["started_at"])), d["id"]))

    def _materialize(self, header: Entity) -> Transaction:
        transaction_id = key_parts(header["RowKey"])[1]
        self._step_counts[transaction_id] = header["StepCount"]
        return self._map.materialize(transaction_id, join_text(header, "Body"))

    def _decode(self, doc: dict[str, Any]) -> Transaction:
        return journal_from_document(doc, self._read_steps, self._blobs)

    def _read_steps(self, transaction_id: str) -> Documents:
        # Only up to the header's count: steps an unfinished commit wrote ahead of its header are not there yet.
        count = self._step_counts.get(transaction_id, 0)
        rows = self._uow.table().range(prefix("step", transaction_id), step_key(transaction_id, count + 1))
        return [json.loads(join_text(row, "Body")) for row in rows]


class AzureDeploymentRecords:
    def __init__(self, uow: AzureStorageUnitOfWork) -> None:
        self._uow = uow

    def for_workspace(self, workspace_id: str) -> dict[ItemKey, DeployedItem]:
        start = prefix("item", workspace_id)
        rows = self._uow.table().range(start, end_of(start))
        items = [deployed_item_from_dict(json.loads(join_text(row, "Body"))) for row in rows]
        return {item.key: item for item in sorted(items, key=lambda i: i.key)}

    def put(self, workspace_id: str, item: DeployedItem) -> None:
        body = to_json(deployed_item_to_dict(item))
        self._uow.table().upsert(item_entity(workspace_id, item.key.type, item.key.name, body), early=True)

    def remove(self, workspace_id: str, key: ItemKey) -> None:
        self._uow.table().delete(item_key(workspace_id, key.type, key.name))


def outbox_message(stored: Entity) -> OutboxMessage:
    published = stored.get("PublishedAt")
    return OutboxMessage(
        id=stored["MessageId"],
        type=stored["Type"],
        payload=json.loads(join_text(stored, "Payload")),
        created_at=datetime_from_str(stored["CreatedAt"]),
        published_at=None if published is None else datetime_from_str(published),
        withheld=bool(stored.get("Withheld", False)),
    )


class AzureOutbox:
    def __init__(self, uow: AzureStorageUnitOfWork) -> None:
        self._uow = uow

    def add(self, message: OutboxMessage) -> None:
        # No read of the table: the outbox row is created on the condition that it is absent, so a message
        # stored earlier under this id fails the commit (a StateStoreError, azure_batch.CREATED_ONCE). A read
        # here cost one request per event, most of a deployment's requests to the table.
        if self._uow.table().known(outbox_key(message.id)):
            raise StateStoreError(f"the outbox already holds a message with id {message.id}")
        published = None if message.published_at is None else datetime_to_str(message.published_at)
        created, position = datetime_to_str(message.created_at), self._uow.next_position()
        stored, marker = outbox_entities(
            message.id, message.type, to_json(message.payload), created, published, position, withheld=message.withheld
        )
        self._uow.table().create(stored)
        if marker is not None:
            self._uow.table().create(marker)

    def pending(self) -> list[OutboxMessage]:
        start = prefix("pending")
        table = self._uow.table()
        return [outbox_message(e) for e in in_store_order(table.landed(table.range(start, end_of(start))))]

    def mark_published(self, message_id: str, at: datetime) -> None:
        stored = self._uow.table().read(outbox_key(message_id))
        if stored is None:
            return
        if "PublishedAt" not in stored:
            self._uow.table().delete(pending_key(stored["Position"], message_id))
        self._uow.table().put(stored | {"PublishedAt": datetime_to_str(at)})

    def list(self, limit: int = 100) -> list[OutboxMessage]:
        start = prefix("outbox")
        table = self._uow.table()
        messages = [outbox_message(e) for e in in_store_order(table.landed(table.range(start, end_of(start))))]
        return messages[len(messages) - min(max(limit, 0), len(messages)) :]


class AzureInbox:
    def __init__(self, uow: AzureStorageUnitOfWork) -> None:
        self._uow = uow

    def contains(self, message_id: str) -> bool:
        return self._uow.table().read(inbox_key(message_id)) is not None

    def add(self, message_id: str) -> None:
        # Decided on what this unit of work read, not on a fresh read: one that saw the message absent
        # must create the entry (its commit conflicting if another unit of work created it meanwhile),
        # not skip it because the other's entry is there now (then both would act on the message).
        if not self._uow.table().known(inbox_key(message_id)):
            handled = datetime_to_str(self._uow.now())
            self._uow.table().put(inbox_entity(message_id, handled))


class AzureLeases:
    """Expiry by the store's clock, as SQLite's; two runners taking one free lease both create it: one commits."""

    def __init__(self, uow: AzureStorageUnitOfWork) -> None:
        self._uow = uow

    def acquire(
        self, workspace_id: str, holder: str, until: datetime, *, process: ProcessRef | None = None, user: str = ""
    ) -> bool:
        lease = taken(self.get(workspace_id), workspace_id, holder, until, process, user, self._uow.now())
        if lease is None:
            return False
        facts = to_json(lease_holder_to_dict(lease))
        self._uow.table().put(lease_entity(workspace_id, holder, sortable_utc(until), facts))
        return True

    def release(self, workspace_id: str, holder: str) -> None:
        stored = self._uow.table().read(lease_key(workspace_id))
        if stored is not None and stored["Holder"] == holder:
            self._uow.table().delete(lease_key(workspace_id))

    def get(self, workspace_id: str) -> Lease | None:
        stored = self._uow.table().read(lease_key(workspace_id))
        if stored is None:
            return None
        until = datetime_from_str(stored["Until"])
        if until <= self._uow.now():
            return None
        return lease_from_dict(workspace_id, stored["Holder"], until, json.loads(stored["HolderFacts"]))
