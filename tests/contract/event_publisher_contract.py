"""The event publisher contract: every `EventPublisher` must pass these tests.

Subclasses supply the `events` fixture: a `DeliveredEvents` whose `publisher` is the adapter under test
and whose `delivered` returns what a subscriber of the other side received (for a broker, a receiver
on its queue or topic, waiting a bounded time for the messages expected).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from fabctl.application.ports import EventPublisher, OutboxMessage


class DeliveredEvents(Protocol):
    publisher: EventPublisher

    def delivered(self, at_least: int) -> list[OutboxMessage]:
        """Every message received so far, once at least `at_least` have arrived (or a deadline passed)."""
        ...


AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def message(number: int, **payload: Any) -> OutboxMessage:
    # Every event names its aggregate (here its workspace): a broker orders and routes by it.
    body = {"workspace_id": "ws-1", **(payload or {"item": f"Item {number}.Notebook"})}
    return OutboxMessage(f"msg-{number}", "ItemDeployed", body, AT)


def as_json(message: OutboxMessage) -> OutboxMessage:
    """The message with its payload as JSON carries it (a tuple becomes a list): how messages are compared."""
    payload = json.loads(json.dumps(message.payload))
    return OutboxMessage(message.id, message.type, payload, message.created_at, message.published_at)


class EventPublisherContract:
    def test_a_message_arrives_with_its_id_type_time_and_payload(self, events: DeliveredEvents) -> None:
        sent = OutboxMessage(
            "d8f1c9a0-0001",
            "PromotionRequested",
            {
                "request_id": "p-1",
                "requested_by": "zoë@contoso.com",
                "items": ("Sales.Lakehouse", "Load Sales.Notebook"),  # a tuple, as dataclasses.asdict leaves it
                "required_approvals": 2,
                "protected": True,
                "note": None,
                "nested": {"list": [1, "two", {"three": 3.5}]},
            },
            datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
        )

        events.publisher.publish(sent)

        [received] = events.delivered(at_least=1)
        assert as_json(received) == as_json(sent)
        assert list(received.payload["items"]) == ["Sales.Lakehouse", "Load Sales.Notebook"]
        # The same instant; the offset may change (Service Bus carries it in UTC: azure-core misreads others).
        assert received.created_at == sent.created_at and received.created_at.utcoffset() is not None

    def test_every_message_published_arrives(self, events: DeliveredEvents) -> None:
        sent = [message(n, position=n) for n in range(40)]

        for each in sent:
            events.publisher.publish(each)

        received = events.delivered(at_least=len(sent))
        assert {m.id for m in received} == {m.id for m in sent}
        by_id = {m.id: as_json(m) for m in sent}
        assert all(as_json(m) == by_id[m.id] for m in received)  # a copy delivered twice is the same message

    def test_a_message_published_again_arrives_with_the_same_id_for_subscribers_to_drop(
        self, events: DeliveredEvents
    ) -> None:
        # The bus publishes again what it could not mark published (a crash between the two).
        sent = message(7)

        events.publisher.publish(sent)
        events.publisher.publish(sent)

        received = events.delivered(at_least=1)
        assert 1 <= len(received) <= 2
        assert all(as_json(m) == as_json(sent) for m in received)
