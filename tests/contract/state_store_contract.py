"""The state store contract: every `UnitOfWork` adapter must pass these tests.

Subclasses supply the `uow` fixture: one unit-of-work object, entered anew for each unit of work,
whose clock reads `NOW` and whose ids come from `CountingIds` ("id-1", "id-2", ...).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fabctl.adapters.state import StateStoreError
from fabctl.application.errors import ConcurrencyConflict
from fabctl.application.inbox import AlreadyHandled, claim
from fabctl.application.ports import DeployedItem, Lease, OutboxMessage, ProcessRef
from fabctl.application.unit_of_work import TrackingUnitOfWork
from fabctl.domain import events
from fabctl.domain.approval_terms import ApprovalTerms, Pin
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.identity import Identity
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotedItem, PromotionRequest, PromotionState
from fabctl.domain.transaction import (
    ItemImage,
    StepAction,
    StepOutcome,
    Transaction,
    TransactionState,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
BINARY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
TERMS = ApprovalTerms(
    (
        Pin("environments.prod", "environments.prod.workspace", '"Sales (prod)"'),
        Pin("source item Sales.Notebook", "Sales.Notebook content", "0123456789abcdef", sealed=True),
    )
)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class CountingIds:
    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"


# --- aggregates -------------------------------------------------------------------------------


def new_promotion(request_id: str = "p-1", required_approvals: int = 2) -> PromotionRequest:
    return PromotionRequest.open(
        request_id=request_id,
        source_dir="workspace/",
        source_environment="dev",
        target_environment="prod",
        requested_by=Identity("alice"),
        items=(PromotedItem("Sales.Notebook", "hash-1"), PromotedItem("Sales.Report", "hash-2")),
        required_approvals=required_approvals,
        at=NOW,
        terms=TERMS,
        note="quarterly release",
        config_path="config/release.yml",
    )


def rejected_promotion() -> PromotionRequest:
    request = new_promotion("p-rejected")
    request.approve(Identity("bob"), LATER, "looks fine", now=TERMS)
    request.reject(Identity("carol"), "wrong quarter", LATER + timedelta(minutes=5))
    request.events.clear()
    return request


def rolled_back_promotion() -> PromotionRequest:
    request = new_promotion("p-rolled-back")
    request.approve(Identity("bob"), NOW, now=TERMS)
    request.approve(Identity("carol"), LATER, "ok", now=TERMS)
    request.start_deployment("tx-9", LATER)
    request.fail("Sales.Report: HTTP 500", LATER)
    request.mark_rolled_back(LATER + timedelta(seconds=1))
    request.events.clear()
    return request


def new_transaction(transaction_id: str = "tx-1", workspace_id: str = "ws-1", at: datetime = NOW) -> Transaction:
    return Transaction.start(transaction_id, workspace_id, "prod", at, "workspace/")


EARLIER = NOW - timedelta(hours=1)


def store_transactions(uow: TrackingUnitOfWork, *transactions: tuple[str, str, datetime]) -> None:
    """New transactions, each (id, workspace id, start), stored in one unit of work."""
    with uow:
        for transaction_id, workspace_id, at in transactions:
            uow.transactions.add(new_transaction(transaction_id, workspace_id, at))
        uow.commit()


def journaled_transaction() -> Transaction:
    """A transaction in every corner: steps with and without before-images, a binary part."""
    tx = new_transaction("tx-full")
    before = ItemImage(
        item_id="item-1",
        item_type="Notebook",
        name="Sales",
        description="the old one",
        folder="finance/monthly",
        definition=ItemDefinition.of(
            [
                DefinitionPart.from_text("notebook-content.py", "print('before')\r\n"),
                DefinitionPart("image.png", BINARY),
                DefinitionPart.from_text(".platform", '{"metadata": {}}'),
            ]
        ),
    )
    tx.record_intent(StepAction.UPDATE, "Sales.Notebook", "item-1", before)
    tx.record_success(1, "item-1")
    tx.record_intent(StepAction.CREATE, "New.Report", None, None)
    tx.record_failure(2, "HTTP 500")
    tx.fail("New.Report: HTTP 500", LATER)
    tx.begin_rollback()
    tx.record_undo_failure(1, "item-1: HTTP 404")
    tx.finish_rollback(LATER + timedelta(seconds=3))
    tx.events.clear()
    return tx


def deployed(name: str, item_id: str, transaction_id: str = "tx-1") -> DeployedItem:
    return DeployedItem(
        key=ItemKey("Notebook", name),
        item_id=item_id,
        logical_id=f"logical-{name}",
        source_hash=f"source-{name}",
        deployed_hash=f"deployed-{name}",
        transaction_id=transaction_id,
    )


def message(message_id: str, at: datetime = NOW) -> OutboxMessage:
    return OutboxMessage(message_id, "Something", {"n": message_id, "list": [1, 2]}, at)


# --- the contract -----------------------------------------------------------------------------


class StateStoreContract:
    @pytest.fixture
    def uow(self) -> TrackingUnitOfWork:
        raise NotImplementedError("a subclass supplies the unit of work under test")

    # -- promotions ------------------------------------------------------------------------
    def test_a_committed_promotion_is_found_by_a_later_unit_of_work(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-1"))
            uow.commit()
        with uow:
            found = uow.promotions.get("p-1")
            missing = uow.promotions.get("p-nope")
        assert found == new_promotion("p-1")
        assert missing is None

    def test_promotions_are_listed_in_creation_order(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-b"))
            uow.commit()
        with uow:
            uow.promotions.add(new_promotion("p-c"))
            uow.promotions.add(new_promotion("p-a"))
            uow.commit()
        with uow:
            listed = [p.id for p in uow.promotions.list()]
        assert listed == ["p-b", "p-c", "p-a"]

    def test_changes_to_a_promotion_got_in_a_unit_of_work_are_saved_on_commit(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-1"))
            uow.commit()
        with uow:
            request = uow.promotions.get("p-1")
            assert request is not None
            request.approve(Identity("bob"), LATER, now=TERMS)
            uow.commit()
        with uow:
            stored = uow.promotions.get("p-1")
        assert stored is not None
        assert [str(a.approver) for a in stored.approvals] == ["bob"]
        assert [e.action for e in stored.audit] == ["requested", "approved"]
        assert stored.state is PromotionState.REQUESTED  # one of two approvals

    def test_a_unit_of_work_can_commit_more_than_once(self, uow: TrackingUnitOfWork) -> None:
        # The deployment journal commits each intent before the write it announces.
        with uow:
            tx = new_transaction("tx-1")
            uow.transactions.add(tx)
            uow.commit()
            tx.record_intent(StepAction.CREATE, "Sales.Notebook", None, None)
            uow.commit()
            tx.record_success(1, "item-1")
            uow.commit()
        with uow:
            stored = uow.transactions.get("tx-1")
            types = [m.type for m in uow.outbox.pending()]
        assert stored is not None
        assert [(s.number, s.outcome, s.item_id) for s in stored.steps] == [(1, StepOutcome.SUCCEEDED, "item-1")]
        assert types == ["DeploymentStarted", "ItemDeployed"]

    # -- transactions ----------------------------------------------------------------------
    def test_transactions_are_listed_by_start_time_then_id_and_filtered_by_workspace(
        self, uow: TrackingUnitOfWork
    ) -> None:
        store_transactions(
            uow, ("tx-c", "ws-1", NOW), ("tx-b", "ws-2", NOW), ("tx-a", "ws-1", NOW), ("tx-z", "ws-1", EARLIER)
        )
        with uow:
            everything = [t.id for t in uow.transactions.list()]
            in_ws1 = [t.id for t in uow.transactions.list("ws-1")]
            in_ws3 = uow.transactions.list("ws-3")
        assert everything == ["tx-z", "tx-a", "tx-b", "tx-c"]
        assert in_ws1 == ["tx-z", "tx-a", "tx-c"]
        assert in_ws3 == []

    def test_summaries_list_a_workspaces_transactions_as_list_does_without_their_steps(
        self, uow: TrackingUnitOfWork
    ) -> None:
        store_transactions(uow, ("tx-c", "ws-1", NOW), ("tx-b", "ws-2", NOW), ("tx-z", "ws-1", EARLIER))
        with uow:
            summaries = uow.transactions.summaries("ws-1")
            listed = uow.transactions.list("ws-1")
        assert [(s.id, s.state, s.source_dir, s.unfinished) for s in summaries] == [
            (t.id, t.state, t.source_dir, t.unfinished) for t in listed
        ]
        assert [s.id for s in summaries] == ["tx-z", "tx-c"]

    def test_transactions_starting_in_other_time_zones_are_ordered_by_instant(self, uow: TrackingUnitOfWork) -> None:
        # 13:30+02:00 is 11:30 UTC, before 12:00 UTC, although "13:30" sorts after "12:00".
        plus_two = datetime(2026, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=2)))
        with uow:
            uow.transactions.add(new_transaction("tx-utc", "ws-1", NOW))
            uow.transactions.add(new_transaction("tx-plus-two", "ws-1", plus_two))
            uow.commit()
        with uow:
            listed = [t.id for t in uow.transactions.list()]
        assert listed == ["tx-plus-two", "tx-utc"]

    # -- rollback --------------------------------------------------------------------------
    def test_an_explicit_rollback_leaves_nothing(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-1"))
            uow.transactions.add(new_transaction("tx-1"))
            uow.deployments.put("ws-1", deployed("Sales", "item-1"))
            uow.outbox.add(message("m-1"))
            uow.inbox.add("in-1")
            uow.rollback()
        self.assert_empty(uow)

    def test_leaving_without_commit_leaves_nothing(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-1"))
            uow.transactions.add(new_transaction("tx-1"))
            uow.deployments.put("ws-1", deployed("Sales", "item-1"))
            uow.outbox.add(message("m-1"))
            uow.inbox.add("in-1")
        self.assert_empty(uow)

    def test_an_error_in_the_block_rolls_back_and_propagates(self, uow: TrackingUnitOfWork) -> None:
        with pytest.raises(ZeroDivisionError), uow:
            uow.promotions.add(new_promotion("p-1"))
            _ = 1 / 0
        self.assert_empty(uow)

    def test_changes_to_a_got_aggregate_are_lost_without_commit(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.promotions.add(new_promotion("p-1"))
            uow.commit()
        with uow:
            request = uow.promotions.get("p-1")
            assert request is not None
            request.approve(Identity("bob"), LATER, now=TERMS)
            request.approve(Identity("carol"), LATER, now=TERMS)
        with uow:
            stored = uow.promotions.get("p-1")
        assert stored == new_promotion("p-1")
        assert stored is not request

    def assert_empty(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            assert uow.promotions.list() == []
            assert uow.promotions.get("p-1") is None
            assert uow.transactions.list() == []
            assert uow.deployments.for_workspace("ws-1") == {}
            assert uow.outbox.list() == []
            assert uow.inbox.contains("in-1") is False
        assert list(uow.collect_new_events()) == []

    # -- events and the outbox -------------------------------------------------------------
    def test_commit_puts_the_recorded_events_in_the_outbox(self, uow: TrackingUnitOfWork) -> None:
        request = new_promotion("p-1")
        request.approve(Identity("bob"), LATER, now=TERMS)
        with uow:
            uow.promotions.add(request)
            uow.commit()
        with uow:
            pending = uow.outbox.pending()
        # Each event publishes the trail's head as it was once its change was made.
        assert [m.payload.pop("audit_head") for m in pending] == [e.hash for e in request.audit]
        assert pending == [
            OutboxMessage(
                "id-1",
                "PromotionRequested",
                {
                    "request_id": "p-1",
                    "source_environment": "dev",
                    "target_environment": "prod",
                    "requested_by": "alice",
                    "items": ["Sales.Notebook", "Sales.Report"],
                    "required_approvals": 2,
                    "actor_object_id": "",  # typed names: unverified
                },
                NOW,
            ),
            OutboxMessage(
                "id-2",
                "ApprovalRecorded",
                {
                    "request_id": "p-1",
                    "approver": "bob",
                    "approvals": 1,
                    "required_approvals": 2,
                    "actor_object_id": "",
                },
                NOW,
            ),
        ]
        assert request.events == []

    def test_committed_events_are_collected_once(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.transactions.add(new_transaction("tx-1", "ws-1"))
            uow.commit()
        first = list(uow.collect_new_events())
        second = list(uow.collect_new_events())
        assert first == [events.DeploymentStarted("tx-1", "ws-1", "prod")]
        assert second == []

    def test_a_rollback_drops_the_events(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.transactions.add(new_transaction("tx-1", "ws-1"))
        with uow:
            pending = uow.outbox.pending()
        assert pending == []
        assert list(uow.collect_new_events()) == []

    def test_outbox_pending_mark_published_and_list(self, uow: TrackingUnitOfWork) -> None:
        published_at = NOW + timedelta(minutes=1)
        with uow:
            for i in range(1, 5):
                uow.outbox.add(message(f"m-{i}"))
            uow.commit()
        with uow:
            uow.outbox.mark_published("m-2", published_at)
            uow.commit()
        with uow:
            pending = [m.id for m in uow.outbox.pending()]
            recent = uow.outbox.list(limit=3)
            everything = [m.id for m in uow.outbox.list()]
            nothing = uow.outbox.list(limit=0)
        assert pending == ["m-1", "m-3", "m-4"]
        assert [m.id for m in recent] == ["m-2", "m-3", "m-4"]
        assert recent[0] == OutboxMessage("m-2", "Something", {"n": "m-2", "list": [1, 2]}, NOW, published_at)
        assert everything == ["m-1", "m-2", "m-3", "m-4"]
        assert nothing == []

    def test_a_deployment_with_publish_events_off_keeps_its_events_withheld_not_pending(
        self, uow: TrackingUnitOfWork
    ) -> None:
        quiet = new_transaction("tx-1", "ws-1")
        quiet.features = {"publish_events": False}
        loud = new_transaction("tx-2", "ws-2")
        loud.features = {"publish_events": True}
        with uow:
            uow.transactions.add(quiet)
            uow.transactions.add(loud)
            uow.commit()
        with uow:
            pending = uow.outbox.pending()
            recorded = uow.outbox.list()
        assert [(m.payload["transaction_id"], m.published_at) for m in pending] == [("tx-2", None)]
        assert [(m.type, m.payload["transaction_id"], m.withheld) for m in recorded] == [
            ("DeploymentStarted", "tx-1", True),
            ("DeploymentStarted", "tx-2", False),
        ]
        assert recorded[0].published_at is None  # never sent: not published, and no relay will send it

    def test_the_outbox_refuses_a_second_message_with_the_same_id(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.outbox.add(message("m-1"))
            with pytest.raises(StateStoreError):
                uow.outbox.add(message("m-1"))

    # -- inbox -----------------------------------------------------------------------------
    def test_the_inbox_remembers_handled_messages(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            before = uow.inbox.contains("in-1")
            uow.inbox.add("in-1")
            uow.inbox.add("in-1")  # a redelivery changes nothing
            uow.commit()
        with uow:
            after = uow.inbox.contains("in-1")
            other = uow.inbox.contains("in-2")
        assert (before, after, other) == (False, True, False)

    def test_a_message_claimed_and_committed_is_refused_to_the_next_claim(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            claim(uow, "in-1")
            uow.commit()
        with uow, pytest.raises(AlreadyHandled) as caught:
            claim(uow, "in-1")
        assert caught.value.message_id == "in-1"

    def test_a_claim_rolled_back_is_not_held(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            claim(uow, "in-1")
        with uow:
            claim(uow, "in-1")
            uow.commit()
        with uow:
            assert uow.inbox.contains("in-1") is True

    # -- deployment records ----------------------------------------------------------------
    def test_deployment_records_put_replace_and_remove(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.deployments.put("ws-1", deployed("Sales", "item-1"))
            uow.deployments.put("ws-1", deployed("Costs", "item-2"))
            uow.deployments.put("ws-2", deployed("Sales", "item-9"))
            uow.commit()
        with uow:
            uow.deployments.put("ws-1", deployed("Sales", "item-1", transaction_id="tx-2"))
            uow.deployments.remove("ws-1", ItemKey("Notebook", "Costs"))
            uow.deployments.remove("ws-1", ItemKey("Notebook", "Never deployed"))
            uow.commit()
        with uow:
            ws1 = uow.deployments.for_workspace("ws-1")
            ws2 = uow.deployments.for_workspace("ws-2")
        assert ws1 == {ItemKey("Notebook", "Sales"): deployed("Sales", "item-1", "tx-2")}
        assert ws2 == {ItemKey("Notebook", "Sales"): deployed("Sales", "item-9")}

    # -- workspace leases ------------------------------------------------------------------
    def test_a_free_lease_is_taken_and_then_refused_to_another_holder(self, uow: TrackingUnitOfWork) -> None:
        until = NOW + timedelta(minutes=15)
        with uow:
            first = uow.leases.acquire("ws-1", "tx-a", until)
            uow.commit()
        with uow:
            second = uow.leases.acquire("ws-1", "tx-b", until)
            other_workspace = uow.leases.acquire("ws-2", "tx-b", until)
            uow.commit()
        with uow:
            held = uow.leases.get("ws-1")
            held_2 = uow.leases.get("ws-2")
        assert (first, second, other_workspace) == (True, False, True)
        assert held == Lease("ws-1", "tx-a", until, since=NOW)
        assert held_2 == Lease("ws-2", "tx-b", until, since=NOW)

    def test_the_holder_renews_its_lease(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=1))
            renewed = uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=20))
            uow.commit()
        with uow:
            held = uow.leases.get("ws-1")
        assert renewed is True
        assert held == Lease("ws-1", "tx-a", NOW + timedelta(minutes=20), since=NOW)

    def test_an_expired_lease_is_no_lease_and_goes_to_the_next_holder(self, uow: TrackingUnitOfWork) -> None:
        # The clock reads NOW: a lease until NOW has run out (a crashed holder no longer blocks).
        with uow:
            uow.leases.acquire("ws-1", "tx-crashed", NOW)
            uow.commit()
        with uow:
            expired = uow.leases.get("ws-1")
            taken = uow.leases.acquire("ws-1", "tx-next", NOW + timedelta(seconds=1))
            uow.commit()
        with uow:
            held = uow.leases.get("ws-1")
        assert expired is None
        assert taken is True
        assert held == Lease("ws-1", "tx-next", NOW + timedelta(seconds=1), since=NOW)

    def test_only_the_holder_releases_a_lease(self, uow: TrackingUnitOfWork) -> None:
        until = NOW + timedelta(minutes=15)
        with uow:
            uow.leases.acquire("ws-1", "tx-a", until)
            uow.leases.release("ws-1", "tx-b")
            uow.commit()
        with uow:
            kept = uow.leases.get("ws-1")
            uow.leases.release("ws-1", "tx-a")
            uow.commit()
        with uow:
            released = uow.leases.get("ws-1")
            retaken = uow.leases.acquire("ws-1", "tx-b", until)
        assert kept == Lease("ws-1", "tx-a", until, since=NOW)
        assert released is None
        assert retaken is True

    def test_a_lease_records_its_holder_and_a_renewal_without_holder_facts_keeps_them(
        self, uow: TrackingUnitOfWork
    ) -> None:
        process = ProcessRef("build-7", 4321, 1_700_000_000.25)
        with uow:
            uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=1), process=process, user="alice")
            uow.commit()
        with uow:
            taken = uow.leases.get("ws-1")
            uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=20))  # a renewal, as each journal save does
            uow.commit()
        with uow:
            renewed = uow.leases.get("ws-1")
        assert taken == Lease("ws-1", "tx-a", NOW + timedelta(minutes=1), process, "alice", NOW)
        assert renewed == Lease("ws-1", "tx-a", NOW + timedelta(minutes=20), process, "alice", NOW)

    def test_a_holder_taking_its_lease_over_from_another_process_replaces_the_holder_facts(
        self, uow: TrackingUnitOfWork
    ) -> None:
        crashed, recovering = ProcessRef("build-7", 4321, 1_700_000_000.0), ProcessRef("build-7", 999, 1_700_000_500.0)
        with uow:
            uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=15), process=crashed, user="alice")
            uow.commit()
        with uow:
            taken = uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=16), process=recovering, user="bob")
            uow.commit()
        with uow:
            held = uow.leases.get("ws-1")
        assert taken is True
        assert held == Lease("ws-1", "tx-a", NOW + timedelta(minutes=16), recovering, "bob", NOW)

    def test_a_lease_taken_without_commit_is_not_held(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.leases.acquire("ws-1", "tx-a", NOW + timedelta(minutes=15))
        with uow:
            held = uow.leases.get("ws-1")
        assert held is None

    # -- round trips through the store -----------------------------------------------------
    @pytest.mark.parametrize("build", [rejected_promotion, rolled_back_promotion])
    def test_a_fully_populated_promotion_comes_back_exactly(
        self, uow: TrackingUnitOfWork, build: Callable[[], PromotionRequest]
    ) -> None:
        with uow:
            uow.promotions.add(build())
            uow.commit()
        with uow:
            [stored] = uow.promotions.list()
        expected = build()
        assert stored == expected
        assert [a.at.utcoffset() for a in stored.approvals] == [a.at.utcoffset() for a in expected.approvals]

    def test_a_journaled_transaction_comes_back_exactly(self, uow: TrackingUnitOfWork) -> None:
        with uow:
            uow.transactions.add(journaled_transaction())
            uow.commit()
        with uow:
            stored = uow.transactions.get("tx-full")
        assert stored == journaled_transaction()
        assert stored is not None
        assert stored.state is TransactionState.ROLLBACK_INCOMPLETE
        before = stored.steps[0].before
        assert before is not None
        image = before.definition.part("image.png")
        assert image is not None
        assert image.payload == BINARY

    def test_repositories_are_only_usable_inside_a_with_block(self, uow: TrackingUnitOfWork) -> None:
        with pytest.raises(RuntimeError):
            uow.promotions.list()


class SharedStoreContract:
    """What a store shared by processes promises: two units of work (separate objects, as two processes
    hold) claiming one message id at once store it once, and the loser learns it was handled.

    Subclasses supply `uow` and `twin`, a second unit-of-work object on the same store."""

    @pytest.fixture
    def twin(self) -> TrackingUnitOfWork:
        raise NotImplementedError("a subclass supplies a second unit of work on the same store")

    def test_of_two_units_of_work_claiming_one_message_id_at_once_one_wins(
        self, uow: TrackingUnitOfWork, twin: TrackingUnitOfWork
    ) -> None:
        first_committed = threading.Event()
        outcome: list[BaseException | None] = []

        def second() -> None:
            # It claims while the first holds its claim uncommitted: SQLite makes it wait for the first's
            # write lock, Azure lets it go on until its commit. It commits only after the first did.
            try:
                with twin:
                    claim(twin, "in-1")
                    first_committed.wait()
                    twin.commit()
                outcome.append(None)
            except Exception as e:  # the assertion below says which are right
                outcome.append(e)
            finally:
                first_committed.set()

        with uow:
            claim(uow, "in-1")
            racer = threading.Thread(target=second)
            racer.start()
            uow.commit()
        first_committed.set()
        racer.join()
        assert len(outcome) == 1 and isinstance(outcome[0], AlreadyHandled | ConcurrencyConflict), outcome
        with twin, pytest.raises(AlreadyHandled):  # its retry from a fresh read: handled, nothing to do
            claim(twin, "in-1")
