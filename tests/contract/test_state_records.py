"""State records: the same state exports the same records from SQLite and from Azure Storage, and an
import into the other store exports them again unchanged (what `fabctl state migrate` relies on)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.data.tables import TableClient
from azure_state import AzureStateStore, azurite, fresh_store  # noqa: F401 (azurite: a fixture)
from azurite_process import RunningAzurite
from state_store_contract import (
    EARLIER,
    LATER,
    NOW,
    CountingIds,
    FixedClock,
    deployed,
    journaled_transaction,
    message,
    new_promotion,
    new_transaction,
    rejected_promotion,
    rolled_back_promotion,
)

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork
from fabctl.adapters.state.records import KINDS, StateRecord
from fabctl.adapters.state.serialization import transaction_to_dict
from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.application.ports import ProcessRef
from fabctl.application.unit_of_work import TrackingUnitOfWork
from fabctl.domain.transaction import StepAction

Store = SqliteUnitOfWork | AzureStorageUnitOfWork


@pytest.fixture
def sqlite(tmp_path: Path) -> SqliteUnitOfWork:
    return SqliteUnitOfWork(tmp_path / "state.db", FixedClock(), CountingIds())


def empty_azure_store(running: RunningAzurite) -> AzureStorageUnitOfWork:
    store: AzureStateStore = fresh_store(running)
    return AzureStorageUnitOfWork(store.tables, store.blobs, FixedClock(), CountingIds())


@pytest.fixture
def azure(azurite: RunningAzurite) -> AzureStorageUnitOfWork:  # noqa: F811
    return empty_azure_store(azurite)


@pytest.fixture
def other_sqlite(tmp_path: Path) -> SqliteUnitOfWork:
    return SqliteUnitOfWork(tmp_path / "other.db", FixedClock(), CountingIds())


@pytest.fixture
def other_azure(azurite: RunningAzurite) -> AzureStorageUnitOfWork:  # noqa: F811
    return empty_azure_store(azurite)


def build_rich_state(uow: TrackingUnitOfWork) -> None:
    """Every kind of record, through the unit-of-work port, in several commits."""
    with uow:
        uow.promotions.add(new_promotion("p-open"))  # with its PromotionRequested event
        uow.promotions.add(rejected_promotion())
        uow.promotions.add(rolled_back_promotion())
        uow.transactions.add(journaled_transaction())  # before-images, a binary part: blobs
        uow.transactions.add(new_transaction("tx-2", "ws-2", EARLIER))
        uow.deployments.put("ws-1", deployed("Sales", "item-1", "tx-full"))
        uow.deployments.put("ws-2", deployed("Costs / Q1 #ü", "item-2", "tx-2"))
        uow.inbox.add("in-1")
        process = ProcessRef("build-7", 4321, 1_700_000_000.25)
        uow.leases.acquire("ws-1", "tx-full", NOW + timedelta(minutes=15), process=process, user="alice")
        uow.leases.acquire("ws-2", "tx-2", NOW)  # expired, still stored
        uow.commit()
    with uow:
        tx = uow.transactions.get("tx-2")
        assert tx is not None
        tx.record_intent(StepAction.CREATE, "New.Report", None, None)
        tx.record_success(1, "item-9")
        for pending in uow.outbox.pending()[:2]:
            uow.outbox.mark_published(pending.id, LATER)
        uow.outbox.add(message("m-late", LATER))
        uow.commit()


def exported(store: Store) -> list[StateRecord]:
    return list(store.export_records())


def port_view(store: TrackingUnitOfWork) -> tuple[object, ...]:
    with store:
        return (
            store.promotions.list(),
            store.transactions.list(),
            store.transactions.summaries("ws-1"),
            store.deployments.for_workspace("ws-1"),
            store.deployments.for_workspace("ws-2"),
            store.outbox.list(),
            store.outbox.pending(),
            store.inbox.contains("in-1"),
            store.leases.get("ws-1"),  # type: ignore[attr-defined]
        )


def test_the_same_state_exports_the_same_records_from_sqlite_and_from_azure(
    sqlite: SqliteUnitOfWork, azure: AzureStorageUnitOfWork
) -> None:
    build_rich_state(sqlite)
    build_rich_state(azure)

    from_sqlite = exported(sqlite)

    assert exported(azure) == from_sqlite
    assert {r.kind for r in from_sqlite} == set(KINDS)
    pending = [json.loads(r.document)["published_at"] is None for r in from_sqlite if r.kind == "outbox"]
    assert pending == [False, False, True, True]  # two published, two not: in outbox order
    assert [r.key for r in from_sqlite if r.kind == "promotion"] == ["p-open", "p-rejected", "p-rolled-back"]


@pytest.mark.parametrize(("source", "target"), [("sqlite", "azure"), ("azure", "sqlite")])
def test_state_imported_into_the_other_store_exports_the_same_records_and_reads_the_same(
    source: str, target: str, request: pytest.FixtureRequest
) -> None:
    exporter: Store = request.getfixturevalue(source)
    importer: Store = request.getfixturevalue(target)
    build_rich_state(exporter)
    records = exported(exporter)

    importer.import_records(records)

    assert exported(importer) == records
    assert port_view(importer) == port_view(exporter)


def test_a_journal_with_inline_steps_migrates_as_it_is_and_reads_whole(
    tmp_path: Path, azure: AzureStorageUnitOfWork, other_sqlite: SqliteUnitOfWork
) -> None:
    path = tmp_path / "legacy.db"
    legacy = SqliteUnitOfWork(path, FixedClock(), CountingIds())
    with legacy:
        legacy.commit()  # the schema
    tx = journaled_transaction()
    with sqlite3.connect(path) as db:  # as fabctl wrote journals before steps had rows: steps in the body
        body = json.dumps(transaction_to_dict(tx), sort_keys=True)
        db.execute(
            "INSERT INTO transactions VALUES (?, ?, ?, ?, ?)", (tx.id, tx.workspace_id, tx.state.value, "x", body)
        )
    db.close()
    records = exported(legacy)

    azure.import_records(records)
    other_sqlite.import_records(exported(azure))

    assert [r.kind for r in records] == ["transaction"]
    assert exported(azure) == records
    assert exported(other_sqlite) == records
    with azure:
        assert azure.transactions.get(tx.id) == tx


def test_an_import_keeps_the_outbox_order_even_where_creation_times_do_not_follow_it(
    sqlite: SqliteUnitOfWork, azure: AzureStorageUnitOfWork, other_sqlite: SqliteUnitOfWork
) -> None:
    with sqlite:
        sqlite.outbox.add(message("m-1", LATER))
        sqlite.outbox.add(message("m-2", NOW))  # created earlier, added later
        sqlite.outbox.add(message("m-3", LATER))
        sqlite.commit()

    azure.import_records(exported(sqlite))
    other_sqlite.import_records(exported(azure))

    with azure:
        assert [m.id for m in azure.outbox.list()] == ["m-1", "m-2", "m-3"]
        assert [m.id for m in azure.outbox.pending()] == ["m-1", "m-2", "m-3"]
    assert exported(other_sqlite) == exported(sqlite)


def test_a_withheld_event_stays_withheld_through_an_export_and_import(
    sqlite: SqliteUnitOfWork, azure: AzureStorageUnitOfWork, other_sqlite: SqliteUnitOfWork
) -> None:
    with sqlite:
        sqlite.outbox.add(message("m-1"))
        sqlite.outbox.add(dataclasses.replace(message("m-2"), withheld=True))
        sqlite.commit()

    azure.import_records(exported(sqlite))
    other_sqlite.import_records(exported(azure))

    for store in (azure, other_sqlite):
        with store:
            assert [(m.id, m.withheld) for m in store.outbox.list()] == [("m-1", False), ("m-2", True)]
            assert [m.id for m in store.outbox.pending()] == ["m-1"]


@pytest.mark.parametrize("target", ["other_sqlite", "other_azure"])
def test_an_import_into_a_store_that_holds_anything_is_refused_and_changes_nothing(
    target: str, sqlite: SqliteUnitOfWork, request: pytest.FixtureRequest
) -> None:
    build_rich_state(sqlite)
    store: Store = request.getfixturevalue(target)
    with store:
        store.inbox.add("already-here")
        store.commit()
    before = exported(store)

    with pytest.raises(StateStoreError, match="is not empty"):
        store.import_records(exported(sqlite))

    assert exported(store) == before


class LosesItsConnectionAtTheSecondBatch(TableClient):
    """The real table client, whose second entity group transaction never reaches the service."""

    batches = 0

    def submit_transaction(self, *args: Any, **kwargs: Any) -> Any:
        self.batches += 1
        if self.batches == 2:
            raise ServiceRequestError("connection reset by peer")
        return super().submit_transaction(*args, **kwargs)


def test_an_import_into_azure_that_fails_midway_takes_back_what_it_wrote_and_can_run_again(
    sqlite: SqliteUnitOfWork,
    azurite: RunningAzurite,  # noqa: F811
) -> None:
    build_rich_state(sqlite)
    with sqlite:
        for n in range(150):  # more than one entity group transaction holds (100)
            sqlite.inbox.add(f"in-many-{n}")
        sqlite.commit()
    records = exported(sqlite)
    store = fresh_store(azurite)
    failing = LosesItsConnectionAtTheSecondBatch.from_connection_string(
        azurite.connection_string, store.tables.table_name
    )
    importing = AzureStorageUnitOfWork(failing, store.blobs, FixedClock(), CountingIds())

    with pytest.raises(StateStoreError, match=r"import failed: .*connection reset.*nothing of it was kept") as failed:
        importing.import_records(records)

    assert failing.batches == 2  # the first batch was stored before the failure
    assert "table" in str(failed.value)
    fresh = AzureStorageUnitOfWork(store.tables, store.blobs, FixedClock(), CountingIds())
    assert exported(fresh) == []
    assert list(store.blobs.list_blobs()) == []
    fresh.import_records(records)
    assert exported(fresh) == records
