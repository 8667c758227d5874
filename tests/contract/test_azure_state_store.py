"""What only the Azure store promises: concurrent units of work on one table lose no update, large
commits and bodies fit, and any name is a key. Checked against Azurite; what is stored is read with
the table client itself where the store's own reads could hide a difference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from azure.data.tables import TableClient, TableServiceClient
from azure_state import AzureStateStore, azurite, fresh_store  # noqa: F401 (azurite: a fixture)
from azurite_process import RunningAzurite
from state_store_contract import (
    NOW,
    TERMS,
    CountingIds,
    FixedClock,
    deployed,
    message,
    new_promotion,
    new_transaction,
)

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork
from fabctl.adapters.state.conflict_retry import RetryOnConflict
from fabctl.application.errors import ConcurrencyConflict
from fabctl.application.inbox import AlreadyHandled, claim
from fabctl.application.messagebus import MessageBus
from fabctl.application.ports import OutboxMessage
from fabctl.domain.commands import Command
from fabctl.domain.identity import Identity
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.transaction import StepAction, Transaction


@pytest.fixture
def store(azurite: RunningAzurite) -> AzureStateStore:  # noqa: F811
    return fresh_store(azurite)


Runner = AzureStorageUnitOfWork


def runner(store: AzureStateStore, name: str) -> Runner:
    """One runner's unit-of-work object; its message ids start with `name`."""
    return AzureStorageUnitOfWork(store.tables, store.blobs, FixedClock(), CountingIds(name))


def two_runners(store: AzureStateStore, stored: PromotionRequest | Transaction) -> tuple[Runner, Runner]:
    """Runners "a" and "b" on one table, after a stored `stored`."""
    a, b = runner(store, "a"), runner(store, "b")
    with a:
        if isinstance(stored, PromotionRequest):
            a.promotions.add(stored)
        else:
            a.transactions.add(stored)
        a.commit()
    return a, b


def row_keys(tables: TableClient, kind: str) -> list[str]:
    return sorted(e["RowKey"] for e in tables.list_entities() if e["RowKey"].startswith(f"{kind}|"))


# --- no lost update ---------------------------------------------------------------------------


def test_of_two_runners_changing_one_promotion_the_second_commit_conflicts_and_the_first_change_stays(
    store: AzureStateStore,
) -> None:
    a, b = two_runners(store, new_promotion("p-1"))
    outbox_before = row_keys(store.tables, "outbox")

    with a, b:
        mine, theirs = a.promotions.get("p-1"), b.promotions.get("p-1")
        assert mine is not None and theirs is not None
        mine.approve(Identity("bob"), NOW, now=TERMS)
        theirs.approve(Identity("carol"), NOW, now=TERMS)
        a.commit()
        with pytest.raises(ConcurrencyConflict, match="promotion p-1 was changed by another unit of work") as caught:
            b.commit()

    assert caught.value.subject == "promotion p-1"
    with runner(store, "c") as fresh:
        stored = fresh.promotions.get("p-1")
    assert stored is not None
    assert [str(x.approver) for x in stored.approvals] == ["bob"]
    # a's ApprovalRecorded is there; nothing b's commit would have added is
    assert row_keys(store.tables, "outbox") == sorted([*outbox_before, "outbox|a-2"])
    assert all("b-" not in key for key in row_keys(store.tables, "pending"))


def test_of_two_runners_claiming_one_message_id_the_second_commit_conflicts_and_stores_nothing(
    store: AzureStateStore,
) -> None:
    a, b = runner(store, "a"), runner(store, "b")
    with a, b:
        claim(a, "in-1")
        claim(b, "in-1")  # both read it absent: each means to create it
        b.promotions.add(new_promotion("p-by-b"))
        a.commit()
        with pytest.raises(ConcurrencyConflict, match="inbox message in-1 was created by another unit of work"):
            b.commit()

    assert row_keys(store.tables, "inbox") == ["inbox|in-1"]
    assert row_keys(store.tables, "promotion") == []  # b's change went with its claim
    with b, pytest.raises(AlreadyHandled):  # b's retry, from a fresh read
        claim(b, "in-1")


def test_reading_again_in_the_same_unit_of_work_does_not_forget_what_the_first_read_saw(
    store: AzureStateStore,
) -> None:
    a, b = two_runners(store, new_promotion("p-1"))
    with a:
        request = a.promotions.get("p-1")
        with b:
            other = b.promotions.get("p-1")
            assert other is not None
            other.note = "changed by b"
            b.commit()
        again = a.promotions.get("p-1")  # the object already handed out, as SQLite's identity map gives
        assert again is request and again is not None
        again.note = "changed by a"
        with pytest.raises(ConcurrencyConflict):
            a.commit()

    with runner(store, "c") as fresh:
        stored = fresh.promotions.get("p-1")
    assert stored is not None and stored.note == "changed by b"


def test_a_promotion_read_but_left_unchanged_does_not_conflict_with_another_runners_change(
    store: AzureStateStore,
) -> None:
    a, b = two_runners(store, new_promotion("p-1"))
    with a:
        looked_at = a.promotions.get("p-1")  # read, not changed: saved on commit, as every touched aggregate
        with b:
            theirs = b.promotions.get("p-1")
            assert theirs is not None
            theirs.note = "changed by b"
            b.commit()
        a.inbox.add("in-a")
        a.commit()

    with runner(store, "c") as fresh:
        stored = fresh.promotions.get("p-1")
        handled = fresh.inbox.contains("in-a")
    assert looked_at is not None
    assert stored is not None and stored.note == "changed by b"
    assert handled


def test_a_journal_saved_again_after_another_runner_changed_it_conflicts(store: AzureStateStore) -> None:
    a, b = runner(store, "a"), runner(store, "b")
    tx = new_transaction("tx-1")
    with a:
        a.transactions.add(tx)
        a.commit()
    with b:
        theirs = b.transactions.get("tx-1")
        assert theirs is not None
        theirs.record_intent(StepAction.CREATE, "B.Notebook", None, None)
        b.commit()

    tx.record_intent(StepAction.CREATE, "A.Notebook", None, None)
    with a, pytest.raises(ConcurrencyConflict, match="transaction tx-1"):
        a.transactions.add(tx)  # a's own copy, saved as the deployment journal saves: no read first
        a.commit()

    with runner(store, "c") as fresh:
        stored = fresh.transactions.get("tx-1")
    assert stored is not None and [s.item for s in stored.steps] == ["B.Notebook"]


def test_a_commit_that_conflicts_leaves_none_of_its_entities(store: AzureStateStore) -> None:
    a, b = two_runners(store, new_transaction("tx-1"))
    outbox_before = row_keys(store.tables, "outbox")

    with a, b:
        mine, theirs = a.transactions.get("tx-1"), b.transactions.get("tx-1")
        assert mine is not None and theirs is not None
        mine.record_intent(StepAction.CREATE, "A.Notebook", None, None)
        a.commit()
        theirs.record_intent(StepAction.CREATE, "B.Notebook", None, None)
        theirs.record_success(1, "item-b")
        theirs.record_intent(StepAction.CREATE, "B2.Notebook", None, None)
        b.deployments.put("ws-1", deployed("B", "item-b", "tx-1"))
        b.inbox.add("in-b")
        with pytest.raises(ConcurrencyConflict, match="transaction tx-1"):
            b.commit()

    assert row_keys(store.tables, "step") == ["step|tx-1|000001"]
    [step] = [e for e in store.tables.list_entities() if e["RowKey"] == "step|tx-1|000001"]
    assert '"item": "A.Notebook"' in step["Body"]
    assert row_keys(store.tables, "item") == []
    assert row_keys(store.tables, "inbox") == []
    assert row_keys(store.tables, "outbox") == outbox_before  # b's ItemDeployed is not there


def test_of_two_runners_taking_one_free_lease_exactly_one_gets_it(store: AzureStateStore) -> None:
    a, b = runner(store, "a"), runner(store, "b")
    until = NOW + timedelta(minutes=15)
    with a, b:
        took = (a.leases.acquire("ws-1", "tx-a", until), b.leases.acquire("ws-1", "tx-b", until))
        a.commit()
        with pytest.raises(ConcurrencyConflict, match="the lease on workspace ws-1") as caught:
            b.commit()
    with b:  # b runs again from a fresh read, as the message bus does
        retaken = b.leases.acquire("ws-1", "tx-b", until)
        held = b.leases.get("ws-1")

    assert took == (True, True)  # each saw a free lease
    assert "created by another unit of work" in str(caught.value)
    assert retaken is False
    assert held is not None and held.holder == "tx-a"


def test_of_two_runners_taking_over_one_expired_lease_exactly_one_gets_it(store: AzureStateStore) -> None:
    a, b = runner(store, "a"), runner(store, "b")
    with a:
        a.leases.acquire("ws-1", "tx-crashed", NOW)  # expired at once: the clock reads NOW
        a.commit()
    with a, b:
        a.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=5))
        b.leases.acquire("ws-1", "tx-b", NOW + timedelta(minutes=5))
        b.commit()
        with pytest.raises(ConcurrencyConflict):
            a.commit()
    with runner(store, "c") as fresh:
        held = fresh.leases.get("ws-1")
    assert held is not None and held.holder == "tx-b"


def test_a_record_another_runner_stored_is_removed_even_when_put_first_in_the_same_unit_of_work(
    store: AzureStateStore,
) -> None:
    with runner(store, "a") as a:
        a.deployments.put("ws-1", deployed("Sales", "item-1"))
        a.commit()
    with runner(store, "b") as b:  # b never read it: it writes it blind, then removes it
        b.deployments.put("ws-1", deployed("Sales", "item-1", "tx-2"))
        b.deployments.remove("ws-1", ItemKey("Notebook", "Sales"))
        b.commit()

    assert row_keys(store.tables, "item") == []


# --- size -------------------------------------------------------------------------------------


def test_a_commit_of_more_than_100_operations_is_stored_and_read_back_whole(store: AzureStateStore) -> None:
    tx = new_transaction("tx-big")
    for n in range(1, 251):
        tx.record_intent(StepAction.CREATE, f"N{n}.Notebook", None, None)
        tx.record_success(n, f"item-{n}")
    writer = runner(store, "a")
    with writer:
        writer.transactions.add(tx)
        for n in range(1, 151):
            writer.deployments.put("ws-1", deployed(f"N{n}", f"item-{n}", "tx-big"))
        writer.commit()

    with runner(store, "b") as reader:
        stored = reader.transactions.get("tx-big")
        records = reader.deployments.for_workspace("ws-1")
        pending = reader.outbox.pending()
    assert stored == tx
    assert len(row_keys(store.tables, "step")) == 250
    assert len(records) == 150
    assert [m.type for m in pending] == ["DeploymentStarted"] + ["ItemDeployed"] * 250
    assert [m.payload["item"] for m in pending[1:4]] == ["N1.Notebook", "N2.Notebook", "N3.Notebook"]

    with writer:  # the relay of them all, in one commit too
        for message in writer.outbox.pending():
            writer.outbox.mark_published(message.id, NOW)
        writer.commit()
    with runner(store, "c") as reader:
        assert reader.outbox.pending() == []
        assert len(reader.outbox.list(limit=1000)) == 251
    assert row_keys(store.tables, "pending") == []


def test_a_body_larger_than_64_kib_round_trips(store: AzureStateStore) -> None:
    request = new_promotion("p-long")
    request.note = "release notes, line after line; " * 4000 + "ünïcödé 😀"  # 128 KB and more once escaped
    with runner(store, "a") as writer:
        writer.promotions.add(request)
        writer.commit()

    with runner(store, "b") as reader:
        stored = reader.promotions.get("p-long")
    assert stored == request
    [row] = [e for e in store.tables.list_entities() if e["RowKey"] == "promotion|p-long"]
    assert {"Body", "Body1", "Body2", "Body3"} <= set(row)  # split: one property holds 64 KiB at most


# --- names ------------------------------------------------------------------------------------

ODD = "a/b#c?d\\e|f%g ünï 😀\t"


def test_names_with_characters_a_row_key_forbids_round_trip(store: AzureStateStore) -> None:
    item = deployed(ODD, "item-odd")
    tx = new_transaction(f"tx {ODD}", f"ws {ODD}")
    tx.record_intent(StepAction.CREATE, f"{ODD}.Notebook", None, None)
    with runner(store, "a") as writer:
        writer.promotions.add(new_promotion(f"p {ODD}"))
        writer.transactions.add(tx)
        writer.deployments.put(f"ws {ODD}", item)
        writer.inbox.add(f"in {ODD}")
        writer.leases.acquire(f"ws {ODD}", f"tx {ODD}", NOW + timedelta(minutes=1))
        writer.commit()

    with runner(store, "b") as reader:
        assert reader.promotions.get(f"p {ODD}") == new_promotion(f"p {ODD}")
        assert reader.transactions.get(f"tx {ODD}") == tx
        assert [s.id for s in reader.transactions.summaries(f"ws {ODD}")] == [f"tx {ODD}"]
        assert reader.deployments.for_workspace(f"ws {ODD}") == {ItemKey("Notebook", ODD): item}
        assert reader.inbox.contains(f"in {ODD}")
        lease = reader.leases.get(f"ws {ODD}")
        assert lease is not None and lease.holder == f"tx {ODD}"
        reader.deployments.remove(f"ws {ODD}", ItemKey("Notebook", ODD))
        reader.commit()
    with runner(store, "c") as reader:
        assert reader.deployments.for_workspace(f"ws {ODD}") == {}


def test_workspaces_whose_ids_are_prefixes_of_each_other_are_kept_apart(store: AzureStateStore) -> None:
    workspaces = ["ws-1", "ws-10", "ws-1|x", "ws-1/x", "ws-1 "]
    with runner(store, "a") as writer:
        for n, workspace in enumerate(workspaces):
            writer.deployments.put(workspace, deployed("Sales", f"item-{n}"))
            writer.transactions.add(new_transaction(f"tx-{n}", workspace))
        writer.commit()

    with runner(store, "b") as reader:
        items = {w: [i.item_id for i in reader.deployments.for_workspace(w).values()] for w in workspaces}
        journals = {w: [s.id for s in reader.transactions.summaries(w)] for w in workspaces}
        listed = {w: [t.id for t in reader.transactions.list(w)] for w in workspaces}
    assert items == {w: [f"item-{n}"] for n, w in enumerate(workspaces)}
    assert journals == {w: [f"tx-{n}"] for n, w in enumerate(workspaces)}
    assert listed == journals


def test_the_earlier_batches_of_a_large_commit_that_conflicts_add_no_step_a_reader_sees(
    store: AzureStateStore,
) -> None:
    a, b = two_runners(store, new_transaction("tx-1"))
    with a, b:
        mine, theirs = a.transactions.get("tx-1"), b.transactions.get("tx-1")
        assert mine is not None and theirs is not None
        mine.fail("stopped by a", NOW)
        a.commit()
        for n in range(1, 151):  # more than one batch: the steps go ahead of the header
            theirs.record_intent(StepAction.CREATE, f"N{n}.Notebook", None, None)
        with pytest.raises(ConcurrencyConflict, match="transaction tx-1"):
            b.commit()

    written_ahead = row_keys(store.tables, "step")
    with runner(store, "c") as reader:
        stored = reader.transactions.get("tx-1")
        exported = [r for r in reader.export_records() if r.kind == "step"]
    assert 0 < len(written_ahead) < 150  # the earlier batch went in, the last one did not
    assert stored is not None and stored.steps == [] and stored.reason == "stopped by a"
    assert exported == []


def ids_of(messages: list[OutboxMessage]) -> list[str]:
    return [m.id for m in messages]


def test_the_events_of_a_large_commit_that_did_not_land_are_never_seen_nor_relayed(store: AzureStateStore) -> None:
    a, b = two_runners(store, new_transaction("tx-1"))
    with a, b:
        mine, theirs = a.transactions.get("tx-1"), b.transactions.get("tx-1")
        assert mine is not None and theirs is not None
        mine.fail("stopped by a", NOW)
        a.commit()
        theirs.fail("stopped by b", NOW)
        for n in range(1, 121):  # 120 events, a row and a pending marker each: several batches
            b.outbox.add(message(f"m-{n:03d}"))
        with pytest.raises(ConcurrencyConflict, match="transaction tx-1"):
            b.commit()

    written_ahead = row_keys(store.tables, "outbox")
    with runner(store, "c") as reader:
        listed, pending = ids_of(reader.outbox.list(limit=1000)), ids_of(reader.outbox.pending())
        exported = [r.key for r in reader.export_records() if r.kind == "outbox"]
        stored = reader.transactions.get("tx-1")
    assert any(key.startswith("outbox|m-") for key in written_ahead)  # rows of the earlier batches are stored ...
    assert listed == pending == exported == ["a-1", "a-2"]  # ... and no reader sees them: only a's events
    assert stored is not None and stored.reason == "stopped by a"


def test_the_events_of_a_large_commit_that_landed_are_all_seen_in_order(store: AzureStateStore) -> None:
    ids = [f"m-{n:03d}" for n in range(1, 121)]
    with runner(store, "a") as writer:
        writer.transactions.add(new_transaction("tx-1"))
        for message_id in ids:
            writer.outbox.add(message(message_id))
        writer.commit()

    with runner(store, "b") as reader:
        # The transaction's DeploymentStarted last: a unit of work stores its aggregates' events as it commits.
        assert ids_of(reader.outbox.pending()) == [*ids, "a-1"]
        assert ids_of(reader.outbox.list(limit=1000)) == [*ids, "a-1"]
        exported = [r.key for r in reader.export_records() if r.kind == "outbox"]
        for message_id in ids[:10]:
            reader.outbox.mark_published(message_id, NOW)
        reader.commit()
    with runner(store, "c") as reader:
        assert ids_of(reader.outbox.pending()) == [*ids[10:], "a-1"]
        assert len(reader.outbox.list(limit=1000)) == 121
    assert exported == [*ids, "a-1"]
    assert len(row_keys(store.tables, "commit")) == 1  # one record for the one split commit


# --- the message bus over the Azure store -----------------------------------------------------


@dataclass(frozen=True)
class Approve(Command):
    approver: str


def test_the_bus_runs_a_command_that_lost_a_race_again_and_both_changes_are_kept(store: AzureStateStore) -> None:
    a, b = two_runners(store, new_promotion("p-1"))
    attempts: list[str] = []

    def approve(cmd: Approve) -> None:
        with a:
            request = a.promotions.get("p-1")
            assert request is not None
            request.approve(Identity(cmd.approver), NOW, now=TERMS)
            if not attempts:  # another runner approves in between, the first time only
                with b:
                    theirs = b.promotions.get("p-1")
                    assert theirs is not None
                    theirs.approve(Identity("carol"), NOW, now=TERMS)
                    b.commit()
            attempts.append(cmd.approver)
            a.commit()

    bus = MessageBus(a, {Approve: approve}, {}, InMemoryEventPublisher(), FixedClock(), RetryOnConflict(sleep=no_sleep))
    bus.handle(Approve("m-1", "bob"))

    with runner(store, "c") as fresh:
        stored = fresh.promotions.get("p-1")
    assert attempts == ["bob", "bob"]
    assert stored is not None and [str(x.approver) for x in stored.approvals] == ["carol", "bob"]


def no_sleep(seconds: float) -> None:
    """The retry's waits are not slept here: the conflict is decided by the commits, not by time."""


def test_a_table_that_does_not_exist_is_a_state_store_error_naming_it(azurite: RunningAzurite) -> None:  # noqa: F811
    store = fresh_store(azurite)
    missing = TableServiceClient.from_connection_string(azurite.connection_string).get_table_client("nosuchtable")
    uow = AzureStorageUnitOfWork(missing, store.blobs, FixedClock(), CountingIds())

    with pytest.raises(StateStoreError, match="state store table nosuchtable: read failed") as caught, uow:
        uow.promotions.get("p-1")
    assert "AccountKey" not in str(caught.value)


def test_two_relays_racing_publish_each_message_at_least_once_and_leave_none_pending(store: AzureStateStore) -> None:
    a, b = two_runners(store, new_promotion("p-1"))  # its PromotionRequested is pending
    published_by_b = InMemoryEventPublisher()
    relay_b = MessageBus(b, {}, {}, published_by_b, FixedClock())
    published_by_a = InMemoryEventPublisher()
    relay_a = MessageBus(a, {}, {}, published_by_a, FixedClock(), RetryOnConflict(sleep=no_sleep))
    published_by_a.subscribe(lambda message: relay_b.relay_outbox() if not published_by_b.published else None)

    sent = relay_a.relay_outbox()  # b relays the same message while a publishes it

    with runner(store, "c") as fresh:
        pending = fresh.outbox.pending()
        [stored] = fresh.outbox.list()
    assert sent == 1  # a marks it published again, as SQLite would: no conflict, nothing lost
    assert [m.type for m in published_by_a.published] == ["PromotionRequested"]
    assert [m.type for m in published_by_b.published] == ["PromotionRequested"]
    assert pending == []
    assert stored.published_at is not None


def test_a_message_id_another_runner_stored_fails_the_commit_with_a_state_store_error_not_a_conflict(
    store: AzureStateStore,
) -> None:
    # The outbox does not read the table before adding (one request per event saved): the create's own
    # condition finds the id taken, and that is no race a retry could win.
    a, b = runner(store, "a"), runner(store, "b")
    with a:
        a.outbox.add(message("m-1"))
        a.commit()
    with b:
        b.outbox.add(message("m-1"))
        with pytest.raises(StateStoreError, match="outbox message m-1 is already stored") as refused:
            b.commit()
    assert not isinstance(refused.value, ConcurrencyConflict)
    assert row_keys(store.tables, "outbox") == ["outbox|m-1"]
