"""The message bus runs a command again, from a fresh read, when its unit of work met a concurrent change.

The conflicts are raised by the handlers here (the in-memory store never conflicts); the Azure store's
real conflicts are in tests/contract/test_azure_state_store.py. Waits are recorded, never slept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import tenacity

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.state.conflict_retry import RetryOnConflict
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.errors import ConcurrencyConflict
from fabctl.application.messagebus import MessageBus
from fabctl.application.ports import ConflictRetry
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.commands import Command
from fabctl.domain.identity import Identity
from fabctl.domain.promotion import PromotedItem, PromotionRequest

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Append(Command):
    text: str


@dataclass
class Sleeps:
    """Records the waits the retry asks for instead of sleeping them."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


class NoteAppender:
    """Appends to promotion p-1's note; the first `conflicts` attempts meet a conflict before committing."""

    def __init__(self, uow: InMemoryUnitOfWork, conflicts: int) -> None:
        self.uow = uow
        self.conflicts = conflicts
        self.read: list[PromotionRequest] = []

    def __call__(self, cmd: Append) -> str:
        with self.uow:
            request = self.uow.promotions.get("p-1")
            assert request is not None
            self.read.append(request)
            request.approve(Identity("bob"), T0, now=ApprovalTerms())
            request.note += cmd.text  # after the approval, which refuses a request changed outside its methods
            if len(self.read) <= self.conflicts:
                raise ConcurrencyConflict("promotion p-1 was changed by another unit of work", subject="promotion p-1")
            self.uow.commit()
        return request.note


def store_with_promotion() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(FixedClock(T0), SequentialIdGenerator("out"))
    with uow:
        request = PromotionRequest.open(
            request_id="p-1",
            source_dir="src",
            source_environment="dev",
            target_environment="test",
            requested_by=Identity("alice"),
            items=(PromotedItem("Sales.Notebook", "hash-1"),),
            required_approvals=2,
            at=T0,
            terms=ApprovalTerms(),
            note="note",
        )
        uow.promotions.add(request)
        uow.commit()
    return uow


def bus_for(handler: NoteAppender, publisher: InMemoryEventPublisher, retry: ConflictRetry | None = None) -> MessageBus:
    clock = FixedClock(T0)
    if retry is None:
        return MessageBus(handler.uow, {Append: handler}, {}, publisher, clock)  # type: ignore[dict-item]
    return MessageBus(handler.uow, {Append: handler}, {}, publisher, clock, retry)  # type: ignore[dict-item]


def stored_note(uow: InMemoryUnitOfWork) -> tuple[str, int]:
    with uow:
        request = uow.promotions.get("p-1")
    assert request is not None
    return request.note, len(request.approvals)


def test_a_command_that_conflicts_once_runs_again_from_a_fresh_read_and_its_result_is_returned() -> None:
    handler, publisher, sleeps = NoteAppender(store_with_promotion(), conflicts=1), InMemoryEventPublisher(), Sleeps()

    result = bus_for(handler, publisher, RetryOnConflict(attempts=5, sleep=sleeps)).handle(Append("m-1", "+x"))

    assert result == "note+x"
    assert len(handler.read) == 2
    assert handler.read[1] is not handler.read[0]  # read again, not the changed object of the failed attempt
    assert stored_note(handler.uow) == ("note+x", 1)  # applied once
    assert [m.type for m in publisher.published] == ["PromotionRequested", "ApprovalRecorded"]
    assert len(sleeps.seconds) == 1
    assert 0.05 <= sleeps.seconds[0] <= 0.5  # short and jittered


def test_a_command_that_always_conflicts_raises_the_conflict_after_the_last_attempt() -> None:
    handler, publisher, sleeps = NoteAppender(store_with_promotion(), conflicts=99), InMemoryEventPublisher(), Sleeps()
    bus = bus_for(handler, publisher, RetryOnConflict(attempts=3, wait=tenacity.wait_fixed(0.25), sleep=sleeps))

    with pytest.raises(ConcurrencyConflict, match="promotion p-1") as caught:
        bus.handle(Append("m-1", "+x"))

    assert caught.value.subject == "promotion p-1"
    assert len(handler.read) == 3
    assert sleeps.seconds == [0.25, 0.25]  # between the attempts, none after the last
    assert stored_note(handler.uow) == ("note", 0)


def test_other_errors_are_not_retried() -> None:
    calls: list[Append] = []

    def broken(cmd: Append) -> None:
        calls.append(cmd)
        raise ValueError("not a conflict")

    uow = store_with_promotion()
    bus = MessageBus(
        uow, {Append: broken}, {}, InMemoryEventPublisher(), FixedClock(T0), RetryOnConflict(sleep=Sleeps())
    )

    with pytest.raises(ValueError, match="not a conflict"):
        bus.handle(Append("m-1", "+x"))
    assert len(calls) == 1


def test_without_a_retry_policy_the_bus_runs_a_command_once() -> None:
    handler = NoteAppender(store_with_promotion(), conflicts=1)

    with pytest.raises(ConcurrencyConflict):
        bus_for(handler, InMemoryEventPublisher()).handle(Append("m-1", "+x"))
    assert len(handler.read) == 1
