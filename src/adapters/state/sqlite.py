"""The state store in one SQLite file (by default `.fabctl/state.db`), safe for several processes.

Each unit of work is one SQLite transaction on its own connection, begun IMMEDIATE: it takes
the write lock up front, so two processes doing read-modify-write on one promotion queue up
(for at most `busy_timeout`) instead of overwriting each other. WAL mode lets readers in other
processes proceed meanwhile. Aggregates are stored as JSON bodies; the columns beside a body
are only what is queried or ordered on.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.aggregates import write_aggregate
from fabctl.adapters.state.blobs import BlobStore
from fabctl.adapters.state.identity_map import IdentityMap
from fabctl.adapters.state.journals import StepMarks, journal_from_document
from fabctl.adapters.state.leases import taken
from fabctl.adapters.state.records import StateRecord
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
from fabctl.adapters.state.sqlite_records import export_sqlite, import_sqlite
from fabctl.adapters.state.sqlite_schema import (
    BUSY_TIMEOUT_MS,
    CREATE_SCHEMA_VERSION,
    DELETE_DEPLOYED_ITEM,
    DELETE_LEASE,
    INSERT_BLOB,
    INSERT_INBOX,
    INSERT_OUTBOX,
    INSERT_SCHEMA_VERSION,
    MARK_PUBLISHED,
    MIGRATIONS,
    SCHEMA_VERSION,
    SELECT_BLOB,
    SELECT_DEPLOYED_ITEMS,
    SELECT_INBOX,
    SELECT_LEASE,
    SELECT_PENDING,
    SELECT_PROMOTION,
    SELECT_PROMOTIONS,
    SELECT_RECENT,
    SELECT_SCHEMA_VERSION,
    SELECT_TRANSACTION,
    SELECT_TRANSACTION_STEPS,
    SELECT_TRANSACTIONS,
    SELECT_WORKSPACE_TRANSACTIONS,
    UPSERT_DEPLOYED_ITEM,
    UPSERT_LEASE,
    UPSERT_PROMOTION,
    UPSERT_TRANSACTION,
    UPSERT_TRANSACTION_STEP,
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
from fabctl.domain.errors import UnusableStateFile
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.redaction import SecretValues
from fabctl.domain.transaction import Transaction

# --- repositories -----------------------------------------------------------------------------


class SqlitePromotionRepository:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow
        self._map = IdentityMap(uow, promotion_from_dict)

    def add(self, request: PromotionRequest) -> None:
        self.write(request)
        self._map.remember(request.id, request)

    def get(self, request_id: str) -> PromotionRequest | None:
        rows = self._uow.query(SELECT_PROMOTION, (request_id,))
        return self._materialize(request_id, rows[0][0]) if rows else None

    def list(self) -> list[PromotionRequest]:
        return [self._materialize(i, body) for i, body in self._uow.query(SELECT_PROMOTIONS)]

    def write(self, request: PromotionRequest) -> None:
        created_at = sortable_utc(self._uow.now())  # kept from the first write by the upsert
        body = to_json(promotion_to_dict(request))
        self._uow.execute(UPSERT_PROMOTION, (request.id, request.state.value, created_at, body))

    def _materialize(self, request_id: str, body: str) -> PromotionRequest:
        return self._map.materialize(request_id, body)


class SqliteTransactionRepository:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow
        self._blobs = BlobStore(save=self._save_blob, load=self._load_blob, secrets=uow.secrets)
        self._map = IdentityMap(uow, self._decode)

    def _save_blob(self, key: str, data: bytes) -> None:
        self._uow.execute(INSERT_BLOB, (key, data))

    def _load_blob(self, key: str) -> bytes | None:
        rows = self._uow.query(SELECT_BLOB, (key,))
        return bytes(rows[0][0]) if rows else None

    def add(self, transaction: Transaction) -> None:
        self.write(transaction)
        self._map.remember(transaction.id, transaction)

    def _decode(self, doc: dict[str, Any]) -> Transaction:
        return journal_from_document(doc, self._read_steps, self._blobs)

    def _read_steps(self, transaction_id: str) -> list[dict[str, Any]]:
        return [json.loads(body) for (body,) in self._uow.query(SELECT_TRANSACTION_STEPS, (transaction_id,))]

    def get(self, transaction_id: str) -> Transaction | None:
        rows = self._uow.query(SELECT_TRANSACTION, (transaction_id,))
        return self._materialize(transaction_id, rows[0][0]) if rows else None

    def summaries(self, workspace_id: str) -> list[JournalSummary]:
        rows = self._uow.query(SELECT_WORKSPACE_TRANSACTIONS, (workspace_id,))
        return [journal_summary_from_dict(json.loads(body)) for _, body in rows]

    def list(self, workspace_id: str | None = None) -> list[Transaction]:
        if workspace_id is None:
            rows = self._uow.query(SELECT_TRANSACTIONS)
        else:
            rows = self._uow.query(SELECT_WORKSPACE_TRANSACTIONS, (workspace_id,))
        return [self._materialize(i, body) for i, body in rows]

    def write(self, tx: Transaction) -> None:
        """The header, and the steps that changed since this process last stored them."""
        body = to_json(transaction_to_dict(tx, self._blobs, with_steps=False))
        params = (tx.id, tx.workspace_id, tx.state.value, sortable_utc(tx.started_at), body)
        self._uow.execute(UPSERT_TRANSACTION, params)
        for step in self._uow.step_marks.changed(tx):
            step_body = to_json(step_to_dict(step, self._blobs))
            self._uow.execute(UPSERT_TRANSACTION_STEP, (tx.id, step.number, step_body))

    def _materialize(self, transaction_id: str, body: str) -> Transaction:
        return self._map.materialize(transaction_id, body)


class SqliteDeploymentRecords:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def for_workspace(self, workspace_id: str) -> dict[ItemKey, DeployedItem]:
        rows = self._uow.query(SELECT_DEPLOYED_ITEMS, (workspace_id,))
        items = [deployed_item_from_dict(json.loads(body)) for (body,) in rows]
        return {item.key: item for item in items}

    def put(self, workspace_id: str, item: DeployedItem) -> None:
        body = to_json(deployed_item_to_dict(item))
        self._uow.execute(UPSERT_DEPLOYED_ITEM, (workspace_id, item.key.type, item.key.name, body))

    def remove(self, workspace_id: str, key: ItemKey) -> None:
        self._uow.execute(DELETE_DEPLOYED_ITEM, (workspace_id, key.type, key.name))


class SqliteOutbox:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def add(self, message: OutboxMessage) -> None:
        published_at = None if message.published_at is None else datetime_to_str(message.published_at)
        params = (
            message.id,
            message.type,
            to_json(message.payload),
            datetime_to_str(message.created_at),
            published_at,
            int(message.withheld),
        )
        self._uow.execute(INSERT_OUTBOX, params)

    def pending(self) -> list[OutboxMessage]:
        return [_message(row) for row in self._uow.query(SELECT_PENDING)]

    def mark_published(self, message_id: str, at: datetime) -> None:
        self._uow.execute(MARK_PUBLISHED, (datetime_to_str(at), message_id))

    def list(self, limit: int = 100) -> list[OutboxMessage]:
        # max(): SQLite reads a negative LIMIT as "no limit".
        return [_message(row) for row in self._uow.query(SELECT_RECENT, (max(limit, 0),))]


def _message(row: Sequence[Any]) -> OutboxMessage:
    message_id, message_type, payload, created_at, published_at, withheld = row
    return OutboxMessage(
        id=message_id,
        type=message_type,
        payload=json.loads(payload),
        created_at=datetime_from_str(created_at),
        published_at=None if published_at is None else datetime_from_str(published_at),
        withheld=bool(withheld),
    )


class SqliteInbox:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def contains(self, message_id: str) -> bool:
        return bool(self._uow.query(SELECT_INBOX, (message_id,)))

    def add(self, message_id: str) -> None:
        self._uow.execute(INSERT_INBOX, (message_id, datetime_to_str(self._uow.now())))


class SqliteLeases:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def acquire(
        self, workspace_id: str, holder: str, until: datetime, *, process: ProcessRef | None = None, user: str = ""
    ) -> bool:
        lease = taken(self.get(workspace_id), workspace_id, holder, until, process, user, self._uow.now())
        if lease is None:
            return False
        facts = to_json(lease_holder_to_dict(lease))
        self._uow.execute(UPSERT_LEASE, (workspace_id, holder, sortable_utc(until), facts))
        return True

    def release(self, workspace_id: str, holder: str) -> None:
        self._uow.execute(DELETE_LEASE, (workspace_id, holder))

    def get(self, workspace_id: str) -> Lease | None:
        rows = self._uow.query(SELECT_LEASE, (workspace_id,))
        if not rows:
            return None
        holder, until, facts = rows[0]
        expires = datetime_from_str(until)
        return lease_from_dict(workspace_id, holder, expires, json.loads(facts)) if expires > self._uow.now() else None


# --- the unit of work -------------------------------------------------------------------------


class SqliteUnitOfWork(TrackingUnitOfWork):
    """Units of work on one SQLite file. Enter it anew for every unit of work.

    The connection opens when the `with` block is entered and closes on commit or rollback;
    using a repository again in the same block (after a commit) opens the next transaction.
    """

    promotions: SqlitePromotionRepository
    transactions: SqliteTransactionRepository
    deployments: SqliteDeploymentRecords
    outbox: SqliteOutbox
    inbox: SqliteInbox
    leases: SqliteLeases

    def __init__(
        self,
        path: str | os.PathLike[str],
        clock: Clock,
        ids: IdGenerator,
        lease_term: timedelta = DEFAULT_LEASE_TERM,
        secrets: SecretValues | None = None,
    ) -> None:
        super().__init__(clock, ids, lease_term)
        self.secrets = secrets  # before-images hold secrets' names, not their values (blobs.py)
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._schema_ready = False
        self.step_marks = StepMarks()
        self._install_repositories()

    # -- used by the repositories ----------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        connection = self._open_connection()
        with self._errors("write"):
            connection.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        connection = self._open_connection()
        with self._errors("read"):
            return connection.execute(sql, params).fetchall()

    def now(self) -> datetime:
        return self._clock.now()

    # -- migrating between stores ----------------------------------------------------------
    def export_records(self) -> Iterator[StateRecord]:
        """Everything this store holds, as records (see `records`), in their export order."""
        with self:
            return iter(export_sqlite(self.query))

    def import_records(self, records: Iterable[StateRecord]) -> None:
        """Store `records` (an export) in this store, which must be empty; all of them or none."""
        with self:
            import_sqlite(self.query, self.execute, records, str(self.path))
            self.commit()

    # -- unit of work ----------------------------------------------------------------------
    def _install_repositories(self) -> None:
        self.promotions = SqlitePromotionRepository(self)
        self.transactions = SqliteTransactionRepository(self)
        self.deployments = SqliteDeploymentRecords(self)
        self.outbox = SqliteOutbox(self)
        self.inbox = SqliteInbox(self)
        self.leases = SqliteLeases(self)

    def _begin(self) -> None:
        self._install_repositories()
        self._open_connection()

    def _save(self, aggregate: Aggregate) -> None:
        write_aggregate(aggregate, self.promotions, self.transactions)

    def _commit(self) -> None:
        if self._connection is None:
            return  # nothing was read or written since the last commit
        try:
            with self._errors("commit"):
                self._connection.execute("COMMIT")
            self.step_marks.commit()
        finally:
            self.step_marks.discard()
            self._close()

    def _rollback(self) -> None:
        if self._connection is None:
            return
        try:
            with self._errors("rollback"):
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
        finally:
            self.step_marks.discard()
            self._close()

    # -- connections -----------------------------------------------------------------------
    def _open_connection(self) -> sqlite3.Connection:
        if not self._active:
            raise RuntimeError("use the unit of work inside a `with` block")
        if self._connection is None:
            connection = self._connect()
            try:
                if not self._schema_ready:
                    self._migrate(connection)
                with self._errors("begin"):
                    connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _connect(self) -> sqlite3.Connection:
        with self._errors("open"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: the module begins nothing on its own; we BEGIN and COMMIT.
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA foreign_keys = ON")
            except BaseException:
                connection.close()
                raise
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        with self._errors("migrate"):
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(CREATE_SCHEMA_VERSION)
                current = connection.execute(SELECT_SCHEMA_VERSION).fetchone()[0]
                if current > SCHEMA_VERSION:
                    raise StateStoreError(
                        f"state store {self.path} has schema version {current}, newer than "
                        f"{SCHEMA_VERSION} which this fabctl knows; upgrade fabctl"
                    )
                applied_at = datetime_to_str(self._clock.now())
                for version in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[version - 1]:
                        connection.execute(statement)
                    connection.execute(INSERT_SCHEMA_VERSION, (version, applied_at))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        self._schema_ready = True

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as e:
            if (e.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise UnusableStateFile(
                    f"is damaged ({e}), so fabctl cannot read the transactions, deployment records and "
                    "promotions it keeps there: restore it from a backup, or move it aside (with its -wal and "
                    "-shm files) to start again with an empty state, which forgets what fabctl deployed",
                    subject=str(self.path),
                ) from e
            raise StateStoreError(f"state store {self.path}: {action} failed: {e}") from e
        except (sqlite3.Error, OSError) as e:
            raise StateStoreError(f"state store {self.path}: {action} failed: {e}") from e
