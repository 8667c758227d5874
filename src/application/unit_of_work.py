"""What every unit of work does the same way: track aggregates, stage their events in the outbox.

State adapters (in-memory, SQLite, Azure Table) subclass `TrackingUnitOfWork` and supply the
storage; the event bookkeeping lives here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from types import TracebackType
from typing import Self

from fabctl.application.ports import (
    DEFAULT_LEASE_TERM,
    Clock,
    DeploymentRecords,
    IdGenerator,
    Inbox,
    Outbox,
    OutboxMessage,
    PromotionRepository,
    TransactionRepository,
)
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.events import Event


def outbox_message(event: Event, message_id: str, clock: Clock, *, withheld: bool = False) -> OutboxMessage:
    return OutboxMessage(message_id, type(event).__name__, dataclasses.asdict(event), clock.now(), withheld=withheld)


class TrackingUnitOfWork:
    promotions: PromotionRepository
    transactions: TransactionRepository
    deployments: DeploymentRecords
    outbox: Outbox
    inbox: Inbox

    def __init__(self, clock: Clock, ids: IdGenerator, lease_term: timedelta = DEFAULT_LEASE_TERM) -> None:
        self.lease_term = lease_term
        self._clock = clock
        self._ids = ids
        self._seen: list[Aggregate] = []
        self._committed_events: list[Event] = []
        self._active = False  # inside a `with` block: repositories refuse to work outside one

    # -- storage hooks ---------------------------------------------------------------------
    def _begin(self) -> None:
        raise NotImplementedError

    def _save(self, aggregate: Aggregate) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    # -- the contract ----------------------------------------------------------------------
    def track(self, aggregate: Aggregate) -> None:
        """Called by repositories on add and get: touched aggregates are saved on commit."""
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    def __enter__(self) -> Self:
        self._seen = []
        self._active = True
        try:
            self._begin()
        except BaseException:
            self._active = False  # the `with` block is not entered, so __exit__ will not run
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.rollback()
        finally:
            self._active = False

    def commit(self) -> None:
        events: list[Event] = []
        staged: list[tuple[Event, bool]] = []  # each event, and whether its aggregate withholds it from the bus
        for aggregate in self._seen:
            events.extend(aggregate.events)
            staged.extend((event, aggregate.withholds_events) for event in aggregate.events)
            self._save(aggregate)
        for event, withheld in staged:
            self.outbox.add(outbox_message(event, self._ids.new_id(), self._clock, withheld=withheld))
        self._commit()
        for aggregate in self._seen:
            aggregate.events.clear()
        self._committed_events.extend(events)

    def rollback(self) -> None:
        # What was touched before a rollback must not be saved by a later commit.
        self._seen = []
        self._rollback()

    def collect_new_events(self) -> Iterator[Event]:
        while self._committed_events:
            yield self._committed_events.pop(0)
