"""The event publisher contract run against every adapter: in memory, and Service Bus (the real SDK against
the protocol-level broker double, tests/support/servicebus_broker: verified against the double only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from event_publisher_contract import EventPublisherContract
from event_subscriber import SessionSubscriber
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import TopicSpec

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.servicebus.client import servicebus_client
from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher
from fabctl.application.ports import EventPublisher, OutboxMessage

TOPIC = "fabctl-events"
# A sessionful subscription, as a subscriber that wants each aggregate's order has; and one without sessions.
TOPICS = {TOPIC: TopicSpec({"ordered": EntityOptions(requires_session=True), "audit": EntityOptions()})}


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


class ServiceBusSubscriber(SessionSubscriber):
    publisher: EventPublisher


class TestServiceBusEventPublisher(EventPublisherContract):
    @pytest.fixture
    def events(self, servicebus_broker_factory) -> Iterator[ServiceBusSubscriber]:  # noqa: F811
        broker = servicebus_broker_factory(topics=TOPICS)
        subscriber = ServiceBusSubscriber(broker.connection_string(), TOPIC, "ordered")
        publisher = ServiceBusEventPublisher(
            lambda: servicebus_client(connection_string=broker.connection_string()), TOPIC
        )
        subscriber.publisher = publisher
        yield subscriber
        publisher.close()


def test_the_in_memory_publisher_keeps_what_it_published_in_order() -> None:
    publisher = InMemoryEventPublisher()
    first = OutboxMessage("m-1", "DeploymentStarted", {"transaction_id": "tx-1"}, datetime(2026, 3, 1, tzinfo=UTC))
    second = OutboxMessage("m-2", "TransactionCommitted", {"transaction_id": "tx-1"}, datetime(2026, 3, 1, tzinfo=UTC))

    publisher.publish(first)
    publisher.publish(second)

    assert publisher.published == [first, second]
