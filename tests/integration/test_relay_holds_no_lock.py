"""The outbox relay talks to the broker with no state-store lock held: another process can write the
SQLite store (BEGIN IMMEDIATE, the write lock) while the relay publishes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.messagebus import MessageBus
from fabctl.application.ports import OutboxMessage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_relay_holds_no_state_store_lock_while_it_publishes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    uow = SqliteUnitOfWork(path, FixedClock(T0), SequentialIdGenerator("out"))
    with uow:
        uow.outbox.add(OutboxMessage("out-1", "PromotionCancelled", {"request_id": "p-1"}, T0))
        uow.commit()
    writers_let_in: list[str] = []

    def take_the_write_lock(message: OutboxMessage) -> None:
        # Another process writing while the broker is talked to: timeout 0, so a held lock fails at once.
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writers_let_in.append(message.id)
        finally:
            other.close()

    publisher = InMemoryEventPublisher()
    publisher.subscribe(take_the_write_lock)

    sent = MessageBus(uow, {}, {}, publisher, FixedClock(T0)).relay_outbox()

    assert sent == 1
    assert writers_let_in == ["out-1"]
    with uow:
        assert uow.outbox.pending() == []
