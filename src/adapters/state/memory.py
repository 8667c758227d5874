"""The state store in memory: the default for tests and throwaway runs.

Committed state is kept as JSON text, exactly what SQLite stores, so nothing a caller holds
aliases it: a unit of work works on a copy of the tables, and only `commit()` replaces them.
Leaving without commit therefore forgets everything the unit of work did, as SQLite does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.aggregates import write_aggregate
from fabctl.adapters.state.blobs import BlobStore
from fabctl.adapters.state.identity_map import IdentityMap
from fabctl.adapters.state.leases import taken
from fabctl.adapters.state.serialization import (
    datetime_from_str,
    datetime_to_str,
    deployed_item_from_dict,
    deployed_item_to_dict,
    journal_summary_from_dict,
    lease_from_dict,
    lease_holder_to_dict,
    outbox_message_from_dict,
    outbox_message_to_dict,
    promotion_from_dict,
    promotion_to_dict,
    to_json,
    transaction_from_dict,
    transaction_to_dict,
)
from fabctl.application.ports import (
    DEFAULT_LEASE_TERM,
    Clock,
    DeployedItem,
    IdGenerator,
    JournalSummary,
    Lease,
    OutboxMessage,
    ProcessRef,
)
from fabctl.application.unit_of_work import TrackingUnitOfWork
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.redaction import SecretValues
from fabctl.domain.transaction import Transaction


@dataclass
class _Tables:
    """Every record as JSON text (`to_json`, so the fake refuses whatever the other stores could not hold
    either); dicts keep insertion order, which is creation order."""

    promotions: dict[str, str] = field(default_factory=dict)
    transactions: dict[str, str] = field(default_factory=dict)
    deployments: dict[tuple[str, str, str], str] = field(default_factory=dict)
    outbox: list[str] = field(default_factory=list)
    inbox: dict[str, str] = field(default_factory=dict)
    leases: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    def copy(self) -> _Tables:
        # Records are immutable strings, so copying the containers isolates the copy.
        return _Tables(
            dict(self.promotions),
            dict(self.transactions),
            dict(self.deployments),
            list(self.outbox),
            dict(self.inbox),
            dict(self.leases),
            dict(self.blobs),
        )


class InMemoryPromotionRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self._map = IdentityMap(uow, promotion_from_dict)

    def add(self, request: PromotionRequest) -> None:
        self.write(request)
        self._map.remember(request.id, request)

    def get(self, request_id: str) -> PromotionRequest | None:
        text = self._uow.tables().promotions.get(request_id)
        return None if text is None else self._materialize(request_id, text)

    def list(self) -> list[PromotionRequest]:
        return [self._materialize(i, text) for i, text in self._uow.tables().promotions.items()]

    def write(self, request: PromotionRequest) -> None:
        self._uow.tables().promotions[request.id] = to_json(promotion_to_dict(request))

    def _materialize(self, request_id: str, text: str) -> PromotionRequest:
        return self._map.materialize(request_id, text)


class InMemoryTransactionRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        load = lambda key: self._uow.tables().blobs.get(key)  # noqa: E731
        self._blobs = BlobStore(save=self._save_blob, load=load, secrets=uow.secrets)
        self._map = IdentityMap(uow, partial(transaction_from_dict, blobs=self._blobs))

    def _save_blob(self, key: str, data: bytes) -> None:
        self._uow.tables().blobs.setdefault(key, data)

    def add(self, transaction: Transaction) -> None:
        self.write(transaction)
        self._map.remember(transaction.id, transaction)

    def get(self, transaction_id: str) -> Transaction | None:
        text = self._uow.tables().transactions.get(transaction_id)
        return None if text is None else self._materialize(transaction_id, text)

    def summaries(self, workspace_id: str) -> list[JournalSummary]:
        docs = [json.loads(t) for t in self._uow.tables().transactions.values()]
        mine = sorted(
            (d for d in docs if d["workspace_id"] == workspace_id),
            key=lambda d: (datetime_from_str(d["started_at"]), d["id"]),
        )
        return [journal_summary_from_dict(d) for d in mine]

    def list(self, workspace_id: str | None = None) -> list[Transaction]:
        found = [self._materialize(i, t) for i, t in self._uow.tables().transactions.items()]
        if workspace_id is not None:
            found = [t for t in found if t.workspace_id == workspace_id]
        return sorted(found, key=lambda t: (t.started_at, t.id))

    def write(self, transaction: Transaction) -> None:
        self._uow.tables().transactions[transaction.id] = to_json(transaction_to_dict(transaction, self._blobs))

    def _materialize(self, transaction_id: str, text: str) -> Transaction:
        return self._map.materialize(transaction_id, text)


class InMemoryDeploymentRecords:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def for_workspace(self, workspace_id: str) -> dict[ItemKey, DeployedItem]:
        rows = self._uow.tables().deployments.items()
        items = [deployed_item_from_dict(json.loads(t)) for (ws, *_), t in rows if ws == workspace_id]
        return {item.key: item for item in sorted(items, key=lambda i: i.key)}

    def put(self, workspace_id: str, item: DeployedItem) -> None:
        key = (workspace_id, item.key.type, item.key.name)
        self._uow.tables().deployments[key] = to_json(deployed_item_to_dict(item))

    def remove(self, workspace_id: str, key: ItemKey) -> None:
        self._uow.tables().deployments.pop((workspace_id, key.type, key.name), None)


class InMemoryOutbox:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, message: OutboxMessage) -> None:
        if any(m.id == message.id for m in _read_outbox(self._uow)):
            raise StateStoreError(f"the outbox already holds a message with id {message.id}")
        self._uow.tables().outbox.append(to_json(outbox_message_to_dict(message)))

    def pending(self) -> list[OutboxMessage]:
        return [m for m in _read_outbox(self._uow) if m.published_at is None and not m.withheld]

    def mark_published(self, message_id: str, at: datetime) -> None:
        outbox = self._uow.tables().outbox
        for index, text in enumerate(outbox):
            document = json.loads(text)
            if document["id"] == message_id:
                document["published_at"] = datetime_to_str(at)
                outbox[index] = to_json(document)

    def list(self, limit: int = 100) -> list[OutboxMessage]:
        messages = _read_outbox(self._uow)
        return messages[len(messages) - max(limit, 0) :]


def _read_outbox(uow: InMemoryUnitOfWork) -> list[OutboxMessage]:
    return [outbox_message_from_dict(json.loads(t)) for t in uow.tables().outbox]


class InMemoryInbox:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def contains(self, message_id: str) -> bool:
        return message_id in self._uow.tables().inbox

    def add(self, message_id: str) -> None:
        self._uow.tables().inbox.setdefault(message_id, self._uow.now_iso())


class InMemoryLeases:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def acquire(
        self, workspace_id: str, holder: str, until: datetime, *, process: ProcessRef | None = None, user: str = ""
    ) -> bool:
        lease = taken(self.get(workspace_id), workspace_id, holder, until, process, user, self._uow.now())
        if lease is None:
            return False
        document = {"holder": holder, "until": datetime_to_str(until), **lease_holder_to_dict(lease)}
        self._uow.tables().leases[workspace_id] = to_json(document)
        return True

    def release(self, workspace_id: str, holder: str) -> None:
        leases = self._uow.tables().leases
        if workspace_id in leases and json.loads(leases[workspace_id])["holder"] == holder:
            del leases[workspace_id]

    def get(self, workspace_id: str) -> Lease | None:
        text = self._uow.tables().leases.get(workspace_id)
        if text is None:
            return None
        document = json.loads(text)
        until = datetime_from_str(document["until"])
        if until <= self._uow.now():
            return None
        return lease_from_dict(workspace_id, document["holder"], until, document)


class InMemoryUnitOfWork(TrackingUnitOfWork):
    """A unit of work over tables in this object. Enter it anew for every unit of work."""

    promotions: InMemoryPromotionRepository
    transactions: InMemoryTransactionRepository
    deployments: InMemoryDeploymentRecords
    outbox: InMemoryOutbox
    inbox: InMemoryInbox
    leases: InMemoryLeases

    def __init__(
        self,
        clock: Clock,
        ids: IdGenerator,
        lease_term: timedelta = DEFAULT_LEASE_TERM,
        secrets: SecretValues | None = None,
    ) -> None:
        super().__init__(clock, ids, lease_term)
        self.secrets = secrets  # before-images hold secrets' names, not their values (blobs.py)
        self._committed = _Tables()
        self._working: _Tables | None = None
        self._install_repositories()

    def tables(self) -> _Tables:
        """The tables this unit of work sees: its own copy, made on first use after a commit."""
        if not self._active:
            raise RuntimeError("use the unit of work inside a `with` block")
        if self._working is None:
            self._working = self._committed.copy()
        return self._working

    def now(self) -> datetime:
        return self._clock.now()

    def now_iso(self) -> str:
        return datetime_to_str(self._clock.now())

    def _install_repositories(self) -> None:
        self.promotions = InMemoryPromotionRepository(self)
        self.transactions = InMemoryTransactionRepository(self)
        self.deployments = InMemoryDeploymentRecords(self)
        self.outbox = InMemoryOutbox(self)
        self.inbox = InMemoryInbox(self)
        self.leases = InMemoryLeases(self)

    def _begin(self) -> None:
        self._working = None
        self._install_repositories()

    def _save(self, aggregate: Aggregate) -> None:
        write_aggregate(aggregate, self.promotions, self.transactions)

    def _commit(self) -> None:
        if self._working is not None:
            self._committed = self._working
        self._working = None

    def _rollback(self) -> None:
        self._working = None
