"""The message bus itself, with handlers written here over the in-memory state store and publisher.

Commands go to their one handler and its errors reach the caller; events go to every handler of their
type, and an event handler's error is logged and goes no further; follow-up commands run in turn; what
was committed is published once everything is handled; a message id already handled changes nothing.
Asserted on what the state store holds and what was published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from failing_stores import MarkFailsOnce

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.errors import EventsNotPublished
from fabctl.application.inbox import claim
from fabctl.application.messagebus import EventHandler, MessageBus
from fabctl.application.ports import OutboxMessage, UnitOfWork
from fabctl.domain import events
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.commands import Command
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import PromotedItem, PromotionRequest, PromotionState

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class OpenRequest(Command):
    request_id: str
    required_approvals: int = 1


@dataclass(frozen=True)
class Approve(Command):
    request_id: str
    approver: str


class Broken(Exception):
    pass


def open_request(uow: UnitOfWork, cmd: OpenRequest) -> str:
    with uow:
        request = PromotionRequest.open(
            request_id=cmd.request_id,
            source_dir="src/sales",
            source_environment="dev",
            target_environment="test",
            requested_by=Identity.parse("alice"),
            items=(PromotedItem("Load Sales.Notebook", "hash-1"),),
            required_approvals=cmd.required_approvals,
            at=T0,
            terms=ApprovalTerms(),
        )
        uow.promotions.add(request)
        uow.inbox.add(cmd.message_id)
        uow.commit()
    return f"opened {cmd.request_id}"


def approve(uow: UnitOfWork, cmd: Approve) -> None:
    with uow:
        request = uow.promotions.get(cmd.request_id)
        assert request is not None
        request.approve(Identity.parse(cmd.approver), T0, now=ApprovalTerms())
        uow.inbox.add(cmd.message_id)
        uow.commit()


@dataclass
class Bus:
    uow: InMemoryUnitOfWork
    publisher: InMemoryEventPublisher
    command_handlers: dict[type[Command], Callable[[object], object]]
    event_handlers: dict[type[events.Event], list[EventHandler]] = field(default_factory=dict)

    @property
    def bus(self) -> MessageBus:
        return MessageBus(self.uow, self.command_handlers, self.event_handlers, self.publisher, FixedClock(T0))

    def requests(self) -> dict[str, PromotionState]:
        with self.uow:
            return {r.id: r.state for r in self.uow.promotions.list()}

    def published(self) -> list[str]:
        return [m.type for m in self.publisher.published]


@pytest.fixture
def world() -> Bus:
    uow = InMemoryUnitOfWork(FixedClock(T0), SequentialIdGenerator("out"))
    bus = Bus(uow, InMemoryEventPublisher(), {})
    bus.command_handlers = {
        OpenRequest: lambda cmd: open_request(uow, cmd),  # type: ignore[arg-type]
        Approve: lambda cmd: approve(uow, cmd),  # type: ignore[arg-type]
    }
    return bus


def test_a_command_goes_to_its_handler_and_its_result_is_returned(world: Bus) -> None:
    result = world.bus.handle(OpenRequest("m-1", "p-1"))

    assert result == "opened p-1"
    assert world.requests() == {"p-1": PromotionState.REQUESTED}


def test_a_command_error_reaches_the_caller_and_nothing_it_did_is_kept(world: Bus) -> None:
    raised = Broken("the source changed while the request was being opened")

    def fails_before_commit(cmd: Approve) -> None:
        with world.uow:
            request = world.uow.promotions.get(cmd.request_id)
            assert request is not None
            request.approve(Identity.parse(cmd.approver), T0, now=ApprovalTerms())
            raise raised  # inside its unit of work, before the commit

    world.bus.handle(OpenRequest("m-1", "p-1"))
    world.command_handlers[Approve] = fails_before_commit  # type: ignore[assignment]
    published_before = world.published()

    with pytest.raises(Broken) as caught:
        world.bus.handle(Approve("m-2", "p-1", "bob"))

    assert caught.value is raised
    assert world.requests() == {"p-1": PromotionState.REQUESTED}  # the approval was rolled back
    assert world.published() == published_before
    with world.uow:
        assert not world.uow.inbox.contains("m-2")  # so a retry of the same message is handled
        assert world.uow.outbox.pending() == []


def test_an_event_handler_error_is_logged_and_the_other_handlers_still_run(
    world: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    def fail_to_notify(event: events.PromotionRequested) -> None:
        raise Broken("the chat service is down")

    def approve_at_once(event: events.PromotionRequested) -> Sequence[Command]:
        return [Approve(f"approve-{event.request_id}", event.request_id, "bob")]

    world.event_handlers[events.PromotionRequested] = [fail_to_notify, approve_at_once]

    with caplog.at_level(logging.ERROR, logger="fabctl.application.messagebus"):
        result = world.bus.handle(OpenRequest("m-1", "p-1"))

    assert result == "opened p-1"  # the command succeeded: its caller sees no error
    assert world.requests() == {"p-1": PromotionState.APPROVED}  # the second handler ran
    [record] = caplog.records
    assert "fail_to_notify" in record.getMessage() and "p-1" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], Broken)


def test_follow_up_commands_run_in_turn_and_their_events_are_handled_too(world: Bus) -> None:
    approved: list[tuple[str, ...]] = []
    world.event_handlers[events.PromotionRequested] = [
        lambda e: [Approve(f"a-{e.request_id}-bob", e.request_id, "bob")],
        lambda e: [Approve(f"a-{e.request_id}-carol", e.request_id, "carol")],
    ]
    world.event_handlers[events.PromotionApproved] = [lambda e: approved.append(e.approvers)]

    world.bus.handle(OpenRequest("m-1", "p-1", required_approvals=2))

    assert world.requests() == {"p-1": PromotionState.APPROVED}
    assert approved == [("bob", "carol")]
    assert world.published() == ["PromotionRequested", "ApprovalRecorded", "ApprovalRecorded", "PromotionApproved"]


def test_a_failing_follow_up_command_is_logged_and_the_command_that_led_to_it_stands(
    world: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    # alice requested it, so she cannot approve it: the follow-up fails on the domain's rule.
    world.event_handlers[events.PromotionRequested] = [lambda e: [Approve("a-1", e.request_id, "alice")]]

    with caplog.at_level(logging.ERROR, logger="fabctl.application.messagebus"):
        result = world.bus.handle(OpenRequest("m-1", "p-1"))

    assert result == "opened p-1"
    assert world.requests() == {"p-1": PromotionState.REQUESTED}
    assert world.published() == ["PromotionRequested"]
    assert [r.getMessage() for r in caplog.records] == ["follow-up command Approve failed"]


def test_what_was_committed_is_published_once_everything_is_handled(world: Bus) -> None:
    seen_published: list[int] = []

    def count_published(event: events.ApprovalRecorded) -> None:
        seen_published.append(len(world.publisher.published))

    world.event_handlers[events.PromotionRequested] = [lambda e: [Approve("a-1", e.request_id, "bob")]]
    world.event_handlers[events.ApprovalRecorded] = [count_published]

    world.bus.handle(OpenRequest("m-1", "p-1"))

    assert seen_published == [0]  # nothing was published while messages were still being handled
    assert world.published() == ["PromotionRequested", "ApprovalRecorded", "PromotionApproved"]
    assert [m.payload["request_id"] for m in world.publisher.published] == ["p-1", "p-1", "p-1"]
    with world.uow:
        assert world.uow.outbox.pending() == []
        assert all(m.published_at == T0 for m in world.uow.outbox.list())
    assert world.bus.relay_outbox() == 0  # published once: a later relay sends nothing again


def test_a_message_id_already_handled_changes_nothing(world: Bus) -> None:
    first = world.bus.handle(OpenRequest("m-1", "p-1"))
    published = world.published()

    again = world.bus.handle(OpenRequest("m-1", "p-1"))
    other = world.bus.handle(OpenRequest("m-2", "p-2"))

    assert (first, again, other) == ("opened p-1", None, "opened p-2")
    assert world.requests() == {"p-1": PromotionState.REQUESTED, "p-2": PromotionState.REQUESTED}
    assert world.published() == [*published, "PromotionRequested"]  # p-2's only


def test_a_delivery_says_whether_its_message_was_handled_before(world: Bus) -> None:
    assert world.bus.handle_delivery(OpenRequest("m-1", "p-1")) is False
    assert world.bus.handle_delivery(OpenRequest("m-1", "p-1")) is True
    assert world.requests() == {"p-1": PromotionState.REQUESTED}


def test_a_duplicate_that_loses_the_race_to_claim_the_message_counts_as_handled_before(world: Bus) -> None:
    """Both deliveries passed the bus's first look at the inbox; the handler's claim refused the later one."""
    other_delivery: list[bool] = []
    calls: list[str] = []

    def claiming(cmd: OpenRequest) -> str:
        calls.append(cmd.message_id)
        if len(calls) == 1:  # another worker handles the same message meanwhile, and stores its effect first
            other_delivery.append(world.bus.handle_delivery(cmd))
        with world.uow:
            claim(world.uow, cmd.message_id)  # raises AlreadyHandled: the other delivery's claim is stored
            world.uow.commit()
        return "claimed"

    world.command_handlers[OpenRequest] = claiming  # type: ignore[assignment]

    assert world.bus.handle_delivery(OpenRequest("m-1", "p-1")) is True
    assert other_delivery == [False]


class FailingOnce:
    """A publisher whose first publish of `message_id` fails, as a broker that is briefly away would."""

    def __init__(self, message_id: str) -> None:
        self.delivered = InMemoryEventPublisher()
        self._fail = {message_id}

    def publish(self, message: OutboxMessage) -> None:
        if message.id in self._fail:
            self._fail.discard(message.id)
            raise EventsNotPublished("the broker is away")
        self.delivered.publish(message)

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        for count, message in enumerate(messages):
            try:
                self.publish(message)
            except EventsNotPublished as e:
                raise EventsNotPublished(e.message, published=count) from e


def approved_out_of_band(world: Bus) -> None:
    """p-1 approved in a commit of its own: ApprovalRecorded ("out-0002") and PromotionApproved ("out-0003")
    wait in the outbox, after p-1's PromotionRequested ("out-0001") already went."""
    world.bus.handle(OpenRequest("m-1", "p-1"))
    with world.uow:
        request = world.uow.promotions.get("p-1")
        assert request is not None
        request.approve(Identity.parse("bob"), T0, now=ApprovalTerms())
        world.uow.commit()


def pending_ids(uow: UnitOfWork) -> list[str]:
    with uow:
        return [m.id for m in uow.outbox.pending()]


def test_a_relay_stops_at_the_first_failed_publish_and_the_rest_go_with_the_next_relay(world: Bus) -> None:
    approved_out_of_band(world)
    publisher = FailingOnce("out-0003")
    bus = MessageBus(world.uow, {}, {}, publisher, FixedClock(T0))

    with pytest.raises(EventsNotPublished, match="the broker is away") as caught:
        bus.relay_outbox(raise_errors=True)
    assert caught.value.published == 1
    assert pending_ids(world.uow) == ["out-0003"]  # the one accepted before the failure is marked
    sent = bus.relay_outbox()

    assert sent == 1
    assert pending_ids(world.uow) == []
    assert [m.id for m in publisher.delivered.published] == ["out-0002", "out-0003"]  # in order, each once


def test_a_failed_first_publish_marks_nothing_so_no_later_event_overtakes_it(world: Bus) -> None:
    approved_out_of_band(world)
    publisher = FailingOnce("out-0002")
    bus = MessageBus(world.uow, {}, {}, publisher, FixedClock(T0))

    with pytest.raises(EventsNotPublished):
        bus.relay_outbox(raise_errors=True)

    assert pending_ids(world.uow) == ["out-0002", "out-0003"]
    assert publisher.delivered.published == []  # out-0003 was not sent ahead of out-0002


def test_a_relay_that_could_not_mark_what_it_sent_sends_the_same_ids_again() -> None:
    uow = MarkFailsOnce(FixedClock(T0), SequentialIdGenerator("out"))
    world = Bus(uow, InMemoryEventPublisher(), {})
    world.command_handlers = {OpenRequest: lambda cmd: open_request(uow, cmd)}  # type: ignore[arg-type]
    approved_out_of_band(world)
    uow.fail_next_commit = True

    with pytest.raises(StateStoreError):
        world.bus.relay_outbox(raise_errors=True)  # sent, then the mark failed
    assert pending_ids(uow) == ["out-0002", "out-0003"]
    assert world.bus.relay_outbox() == 2

    assert pending_ids(uow) == []
    assert [m.id for m in world.publisher.published] == ["out-0001", "out-0002", "out-0003", "out-0002", "out-0003"]


def test_a_command_whose_events_could_not_be_published_still_returns_its_result_and_leaves_them_pending(
    world: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = FailingOnce("out-0001")
    bus = MessageBus(world.uow, world.command_handlers, {}, publisher, FixedClock(T0))

    with caplog.at_level(logging.WARNING, logger="fabctl.application.messagebus"):
        result = bus.handle(OpenRequest("m-1", "p-1"))

    assert result == "opened p-1"
    assert world.requests() == {"p-1": PromotionState.REQUESTED}  # the state change is committed
    assert pending_ids(world.uow) == ["out-0001"]
    assert ["events not published" in r.getMessage() for r in caplog.records] == [True]
    assert bus.relay_outbox() == 1


def test_a_relay_that_stops_on_a_failure_logs_it_and_says_how_many_went_unless_asked_to_raise(
    world: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    # The sweep and `tx revert` relay after their own work is committed: a bus outage must not fail them.
    approved_out_of_band(world)
    bus = MessageBus(world.uow, {}, {}, FailingOnce("out-0003"), FixedClock(T0))

    with caplog.at_level(logging.WARNING, logger="fabctl.application.messagebus"):
        sent = bus.relay_outbox()

    assert sent == 1
    assert pending_ids(world.uow) == ["out-0003"]
    [record] = caplog.records
    assert "the broker is away" in record.getMessage() and "1 sent" in record.getMessage()
