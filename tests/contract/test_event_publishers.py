"""The event publisher contract run against every adapter (today the in-memory one; Service Bus joins it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from event_publisher_contract import EventPublisherContract

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.application.ports import OutboxMessage


class InMemorySubscriber:
    def __init__(self) -> None:
        self.publisher = InMemoryEventPublisher()
        self.received: list[OutboxMessage] = []
        self.publisher.subscribe(self.received.append)

    def delivered(self, at_least: int) -> list[OutboxMessage]:
        return list(self.received)  # delivery in memory is done when publish returns


class TestInMemoryEventPublisher(EventPublisherContract):
    @pytest.fixture
    def events(self) -> InMemorySubscriber:
        return InMemorySubscriber()


def test_the_in_memory_publisher_keeps_what_it_published_in_order() -> None:
    publisher = InMemoryEventPublisher()
    first = OutboxMessage("m-1", "DeploymentStarted", {"transaction_id": "tx-1"}, datetime(2026, 3, 1, tzinfo=UTC))
    second = OutboxMessage("m-2", "TransactionCommitted", {"transaction_id": "tx-1"}, datetime(2026, 3, 1, tzinfo=UTC))

    publisher.publish(first)
    publisher.publish(second)

    assert publisher.published == [first, second]
