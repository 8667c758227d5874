"""The state store in Azure Storage: one table (entities) and one blob container (before-images).

For teams whose runners share no disk: every runner (a CI agent, the Function app) works on the same
table. All of a store's entities live in one partition, so each commit is one entity group
transaction, atomic like a SQLite transaction; two units of work that change one thing at once are
told apart by ETags, and the later commit fails with `ConcurrencyConflict` (ADR 0030). The table
and the container must exist (`azure_clients` creates them and checks access).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient
from azure.storage.blob import ContainerClient

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.aggregates import write_aggregate
from fabctl.adapters.state.azure_batch import EntityTable, first_line
from fabctl.adapters.state.azure_records import export_azure, import_azure
from fabctl.adapters.state.azure_repositories import (
    AzureDeploymentRecords,
    AzureInbox,
    AzureLeases,
    AzureOutbox,
    AzurePromotionRepository,
    AzureTransactionRepository,
)
from fabctl.adapters.state.blobs import BlobStore
from fabctl.adapters.state.journals import StepMarks
from fabctl.adapters.state.records import StateRecord
from fabctl.adapters.state.serialization import sortable_utc
from fabctl.application.ports import DEFAULT_LEASE_TERM, Clock, IdGenerator
from fabctl.application.unit_of_work import TrackingUnitOfWork
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.redaction import SecretValues


class AzureStorageUnitOfWork(TrackingUnitOfWork):
    """Units of work on one table and container. Enter it anew for every unit of work.

    Keep one object per process: what it has read and committed (ETags, journal step marks) is what
    its next commits are checked against.
    """

    promotions: AzurePromotionRepository
    transactions: AzureTransactionRepository
    deployments: AzureDeploymentRecords
    outbox: AzureOutbox
    inbox: AzureInbox
    leases: AzureLeases

    def __init__(
        self,
        tables: TableClient,
        blobs: ContainerClient,
        clock: Clock,
        ids: IdGenerator,
        lease_term: timedelta = DEFAULT_LEASE_TERM,
        secrets: SecretValues | None = None,
    ) -> None:
        super().__init__(clock, ids, lease_term)
        self._table = EntityTable(tables)
        self._tables = tables
        self._container = blobs
        self._uploaded: set[str] = set()  # digests known to be in the container
        self._positions = itertools.count()
        self.step_marks = StepMarks()
        # Before-images hold secrets' names, not their values (blobs.py).
        self._blobs = BlobStore(save=self._save_blob, load=self._load_blob, secrets=secrets)
        self._install_repositories()

    # -- used by the repositories ----------------------------------------------------------
    def table(self) -> EntityTable:
        if not self._active:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._table

    def now(self) -> datetime:
        return self._clock.now()

    def next_position(self) -> str:
        """Where a promotion or outbox message added now goes in their order, which is the order they were
        added in (SQLite's rowid order): by the clock, then by a counter of this object. Two added in one
        microsecond by two processes are in RowKey order."""
        return f"{sortable_utc(self.now())}|{next(self._positions):012d}"

    # -- before-images, outside the table batch ----------------------------------------------
    def _save_blob(self, digest: str, data: bytes) -> None:
        # Uploaded before the commit that refers to it: an orphan (the commit failed) is harmless,
        # a journal naming a blob that is not there is impossible.
        if digest in self._uploaded:
            return
        try:
            self._container.upload_blob(digest, data, overwrite=False)
        except ResourceExistsError:
            pass  # content-addressed: what is there is these very bytes
        except AzureError as e:
            raise StateStoreError(
                f"state store container {self._container.container_name}: upload failed: {first_line(e)}"
            ) from e
        self._uploaded.add(digest)

    def _load_blob(self, digest: str) -> bytes | None:
        try:
            return self._container.download_blob(digest).readall()
        except ResourceNotFoundError:
            return None
        except AzureError as e:
            raise StateStoreError(
                f"state store container {self._container.container_name}: download failed: {first_line(e)}"
            ) from e

    # -- migrating between stores ----------------------------------------------------------
    def export_records(self) -> Iterator[StateRecord]:
        """Everything this store holds, as records (see `records`), in their export order."""
        return iter(export_azure(self._tables, self._container))

    def import_records(self, records: Iterable[StateRecord]) -> None:
        """Store `records` (an export) in this store, which must be empty: all of them, or (a failure
        midway, which takes back what it wrote) none."""
        import_azure(self._tables, self._container, records)

    # -- unit of work ----------------------------------------------------------------------
    def _install_repositories(self) -> None:
        self.promotions = AzurePromotionRepository(self)
        self.transactions = AzureTransactionRepository(self, self._blobs)
        self.deployments = AzureDeploymentRecords(self)
        self.outbox = AzureOutbox(self)
        self.inbox = AzureInbox(self)
        self.leases = AzureLeases(self)

    def _begin(self) -> None:
        self._install_repositories()
        self._table.begin()

    def _save(self, aggregate: Aggregate) -> None:
        write_aggregate(aggregate, self.promotions, self.transactions)

    def _commit(self) -> None:
        try:
            self._table.commit()
            self.step_marks.commit()
        finally:
            self.step_marks.discard()

    def _rollback(self) -> None:
        self._table.discard()
        self.step_marks.discard()
