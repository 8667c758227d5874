"""The state store contract run against every adapter, plus what only SQLite promises."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure_state import AzureStateStore, azurite, fresh_store  # noqa: F401 (azurite: a fixture)
from azurite_process import RunningAzurite
from state_store_contract import (
    BINARY,
    LATER,
    TERMS,
    CountingIds,
    FixedClock,
    SharedStoreContract,
    StateStoreContract,
    deployed,
    journaled_transaction,
    new_promotion,
    rejected_promotion,
    rolled_back_promotion,
)

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.state.serialization import (
    deployed_item_from_dict,
    deployed_item_to_dict,
    promotion_from_dict,
    promotion_to_dict,
    transaction_from_dict,
    transaction_to_dict,
)
from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.application.ports import DeployedItem
from fabctl.domain import events
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import Approval, AuditEntry, PromotedItem, PromotionRequest
from fabctl.domain.transaction import ItemImage, StepAction, Transaction, TransactionStep


class TestInMemoryStateStore(StateStoreContract):
    @pytest.fixture
    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(FixedClock(), CountingIds())


class TestSqliteStateStore(StateStoreContract, SharedStoreContract):
    @pytest.fixture
    def uow(self, tmp_path: Path) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(tmp_path / ".fabctl" / "state.db", FixedClock(), CountingIds())

    @pytest.fixture
    def twin(self, tmp_path: Path) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(tmp_path / ".fabctl" / "state.db", FixedClock(), CountingIds("twin"))


class TestAzureStorageStateStore(StateStoreContract, SharedStoreContract):
    @pytest.fixture
    def store(self, azurite: RunningAzurite) -> AzureStateStore:  # noqa: F811
        return fresh_store(azurite)

    @pytest.fixture
    def uow(self, store: AzureStateStore) -> AzureStorageUnitOfWork:
        return AzureStorageUnitOfWork(store.tables, store.blobs, FixedClock(), CountingIds())

    @pytest.fixture
    def twin(self, store: AzureStateStore) -> AzureStorageUnitOfWork:
        return AzureStorageUnitOfWork(store.tables, store.blobs, FixedClock(), CountingIds("twin"))


# --- serialization ----------------------------------------------------------------------------


def through_json(document: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(json.dumps(document))
    return loaded


@pytest.mark.parametrize("build", [new_promotion, rejected_promotion, rolled_back_promotion])
def test_a_promotion_round_trips_exactly(build: Callable[[], PromotionRequest]) -> None:
    assert promotion_from_dict(through_json(promotion_to_dict(build()))) == build()


def test_a_promotion_is_stored_with_enum_values_aware_iso_datetimes_and_no_events() -> None:
    request = rejected_promotion()
    request.record(events.PromotionCancelled("p-rejected", "dave"))  # not yet in the outbox

    document = promotion_to_dict(request)

    assert "events" not in document
    assert document["state"] == "rejected"
    assert document["reason"] == "wrong quarter"
    assert document["approvals"] == [
        {
            "approver": "bob",
            "at": "2026-03-01T14:30:15.123456+02:00",
            "comment": "looks fine",
            "object_id": "",
            "groups": [],
        }
    ]  # object id "": a typed name, unverified
    assert [(e["action"], e["at"]) for e in document["audit"]] == [
        ("requested", "2026-03-01T12:00:00+00:00"),
        ("approved", "2026-03-01T14:30:15.123456+02:00"),
        ("rejected", "2026-03-01T14:35:15.123456+02:00"),
    ]
    assert promotion_from_dict(document).events == []


def test_a_transaction_round_trips_exactly_with_binary_parts_as_base64() -> None:
    tx = journaled_transaction()

    document = through_json(transaction_to_dict(tx))

    assert transaction_from_dict(document) == tx
    assert "events" not in document
    assert document["state"] == "rollback_incomplete"
    assert document["ended_at"] == "2026-03-01T14:30:18.123456+02:00"
    steps = document["steps"]
    assert isinstance(steps, list)
    assert [(s["action"], s["outcome"], s["error"]) for s in steps] == [
        ("update", "undo_failed", "item-1: HTTP 404"),
        ("create", "failed", "HTTP 500"),
    ]
    assert steps[1]["before"] is None
    parts = {p["path"]: p["payload"] for p in steps[0]["before"]["definition"]["parts"]}
    assert parts["image.png"] == base64.b64encode(BINARY).decode("ascii")
    assert parts["notebook-content.py"] == base64.b64encode(b"print('before')\r\n").decode("ascii")


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)} - {"events"}


def test_every_field_is_stored() -> None:
    request = promotion_to_dict(rejected_promotion())
    tx = transaction_to_dict(journaled_transaction())
    step = tx["steps"][0]

    assert set(request) == field_names(PromotionRequest)
    assert set(request["items"][0]) == field_names(PromotedItem)
    assert set(request["approvals"][0]) == field_names(Approval)
    assert set(request["audit"][0]) == field_names(AuditEntry)
    assert set(tx) == field_names(Transaction)
    assert set(step) == field_names(TransactionStep)
    assert set(step["before"]) == field_names(ItemImage)
    assert set(deployed_item_to_dict(deployed("Sales", "item-1"))) == field_names(DeployedItem)


def test_a_deployed_item_round_trips_exactly() -> None:
    item = deployed("Sales", "item-1")
    assert deployed_item_from_dict(through_json(deployed_item_to_dict(item))) == item


def test_a_naive_datetime_is_refused() -> None:
    request = new_promotion()
    request.approve(Identity("bob"), LATER.replace(tzinfo=None), now=TERMS)
    with pytest.raises(ValueError, match="timezone"):
        promotion_to_dict(request)


# --- only SQLite ------------------------------------------------------------------------------


def sqlite_uow(path: Path, ids_prefix: str = "id") -> SqliteUnitOfWork:
    return SqliteUnitOfWork(path, FixedClock(), CountingIds(ids_prefix))


def test_sqlite_state_survives_a_new_instance_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite_uow(path) as first:
        first.promotions.add(rejected_promotion())
        first.transactions.add(journaled_transaction())
        first.deployments.put("ws-1", deployed("Sales", "item-1"))
        first.inbox.add("in-1")
        first.commit()

    with sqlite_uow(path) as second:
        assert second.promotions.list() == [rejected_promotion()]
        assert second.transactions.list() == [journaled_transaction()]
        assert list(second.deployments.for_workspace("ws-1").values()) == [deployed("Sales", "item-1")]
        assert second.inbox.contains("in-1")


def test_two_sqlite_instances_on_one_file_both_commit(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    # Message ids must be unique across instances, as UUIDs are.
    a, b = sqlite_uow(path, "a"), sqlite_uow(path, "b")
    with a:
        a.promotions.add(new_promotion("p-a"))
        a.commit()
    with b:
        b.promotions.add(new_promotion("p-b"))
        b.commit()
    with a:
        request = a.promotions.get("p-b")
        assert request is not None
        request.approve(Identity("bob"), LATER, now=TERMS)
        a.commit()

    for uow in (a, b):
        with uow:
            assert [p.id for p in uow.promotions.list()] == ["p-a", "p-b"]
            stored = uow.promotions.get("p-b")
            assert stored is not None
            assert [str(x.approver) for x in stored.approvals] == ["bob"]


def test_sqlite_creates_the_directory_schema_and_records_the_version(tmp_path: Path) -> None:
    path = tmp_path / ".fabctl" / "state.db"
    with sqlite_uow(path) as uow:
        uow.commit()

    with sqlite3.connect(path) as connection:
        versions = connection.execute("SELECT version, applied_at FROM schema_version").fetchall()
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        journal_mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert versions == [(n, "2026-03-01T12:00:00+00:00") for n in (1, 2, 3, 4, 5, 6)]
    assert {
        "promotions",
        "transactions",
        "transaction_steps",
        "deployed_items",
        "outbox",
        "inbox",
        "leases",
        "blobs",
    } <= tables
    assert journal_mode == "wal"


def test_sqlite_refuses_a_file_with_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite_uow(path) as uow:
        uow.commit()
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_version VALUES (99, '2030-01-01T00:00:00+00:00')")
    connection.close()

    uow = sqlite_uow(path)
    with pytest.raises(StateStoreError, match="schema version 99"), uow:
        pass
    with pytest.raises(RuntimeError):  # the failed `with` left nothing half open
        uow.promotions.list()


WORKER = """
import sys
from datetime import UTC, datetime

from fabctl.adapters.state.sqlite import SqliteUnitOfWork


class Clock:
    def now(self):
        return datetime(2026, 3, 1, tzinfo=UTC)


class Ids:
    def __init__(self):
        self.n = 0

    def new_id(self):
        self.n += 1
        return f"{sys.argv[2]}-{self.n}"


path, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
uow = SqliteUnitOfWork(path, Clock(), Ids())
for i in range(rounds):
    with uow:
        request = uow.promotions.get("p-counter")
        request.note = str(int(request.note) + 1)
        uow.inbox.add(f"{name}-{i}")
        uow.commit()
"""


def test_several_processes_share_one_file_without_losing_updates(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite_uow(path) as uow:
        request = new_promotion("p-counter")
        request.note = "0"
        uow.promotions.add(request)
        uow.commit()

    workers, rounds = 4, 25
    processes = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), f"w{n}", str(rounds)]) for n in range(workers)
    ]
    codes = [p.wait(timeout=120) for p in processes]

    assert codes == [0] * workers
    with sqlite_uow(path) as uow:
        counter = uow.promotions.get("p-counter")
        assert counter is not None
        assert counter.note == str(workers * rounds)
        assert all(uow.inbox.contains(f"w{n}-{i}") for n in range(workers) for i in range(rounds))


def test_sqlite_stores_each_before_image_payload_once_compressed(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    payload = b"SELECT 1 AS unchanged_part\n" * 400
    image = ItemImage("item-1", "Notebook", "N", "", "", ItemDefinition.of([DefinitionPart("a.py", payload)]))
    with sqlite_uow(path) as uow:
        for n in range(3):  # three journals whose before-images share one part
            tx = Transaction.start(f"tx-{n}", "ws", "dev", datetime(2026, 3, 1, 12, tzinfo=UTC))
            tx.record_intent(StepAction.UPDATE, "N.Notebook", "item-1", image)
            uow.transactions.add(tx)
        uow.commit()

    with sqlite3.connect(path) as connection:
        blobs = connection.execute("SELECT digest, length(data) FROM blobs").fetchall()
        bodies = [body for (body,) in connection.execute("SELECT body FROM transactions")]
    connection.close()
    assert [digest for digest, _ in blobs] == [hashlib.sha256(payload).hexdigest()]
    assert blobs[0][1] < len(payload) / 10  # compressed: the repetitive part shrinks well
    assert all(base64.b64encode(payload).decode()[:40] not in body for body in bodies)
    with sqlite_uow(path) as uow:
        restored = uow.transactions.get("tx-2")
    assert restored is not None and restored.steps[0].before == image
