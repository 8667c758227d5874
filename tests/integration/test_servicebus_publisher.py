"""ServiceBusEventPublisher with the REAL azure-servicebus SDK against the protocol-level broker double
(tests/support/servicebus_broker): what holds here is verified against the double only, not Service Bus.

The message's wire shape, duplicate detection dropping a re-send (also one a crashed relay makes), the
order of each session across batches, and the failures a relay must survive (no broker, a refused key).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.messaging import CloudEvent
from event_subscriber import SessionSubscriber
from failing_stores import MarkFailsOnce
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec

from fabctl.adapters.servicebus.client import servicebus_client
from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher
from fabctl.adapters.state import StateStoreError
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.errors import EventsNotPublished
from fabctl.application.messagebus import MessageBus
from fabctl.application.ports import OutboxMessage
from fabctl.domain import events

TOPIC = "fabctl-events"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEDUP = EntityOptions(duplicate_detection_window_s=600)
TOPICS = {TOPIC: TopicSpec({"ordered": EntityOptions(requires_session=True), "audit": EntityOptions()}, DEDUP)}


def outbox(number: int, event: events.Event) -> OutboxMessage:
    return OutboxMessage(
        f"out-{number:04d}", type(event).__name__, dataclasses.asdict(event), T0 + timedelta(seconds=number)
    )


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(topics=TOPICS)


def publisher_for(broker: RunningBroker, key: str | None = None, **options: int) -> ServiceBusEventPublisher:
    return ServiceBusEventPublisher(
        lambda: servicebus_client(connection_string=broker.connection_string(key)), TOPIC, **options
    )


@pytest.fixture
def publisher(broker: RunningBroker) -> Iterator[ServiceBusEventPublisher]:
    made = publisher_for(broker)
    yield made
    made.close()


def test_an_event_goes_as_one_cloudevent_message_keyed_by_its_id_and_its_aggregate(broker, publisher) -> None:
    requested = outbox(1, events.PromotionRequested("p-1", "dev", "test", "alice", ("A.Notebook",), 1))
    deployed = outbox(2, events.ItemDeployed("tx-1", "A.Notebook", "update", "nb-1", "bob", workspace_id="ws-9"))

    publisher.publish_all([requested, deployed])

    held = broker.messages(f"{TOPIC}/subscriptions/audit")
    assert [(m.message_id, m.session_id, m.subject) for m in held] == [
        ("out-0001", "p-1", "fabctl.PromotionRequested.v1"),
        ("out-0002", "ws-9", "fabctl.ItemDeployed.v1"),
    ]
    assert {m.content_type for m in held} == {"application/cloudevents+json"}
    assert [m.application_properties for m in held] == [
        {"environment": "test", "request_id": "p-1"},
        {"workspace_id": "ws-9"},
    ]
    read = CloudEvent.from_dict(json.loads(held[1].body or b""))
    assert (read.id, read.type, read.subject, read.source) == (
        "out-0002", "fabctl.ItemDeployed.v1", "workspaces/ws-9/items/A.Notebook", "/fabctl",
    )  # fmt: skip
    assert read.time == T0 + timedelta(seconds=2)
    assert read.data == {
        "transaction_id": "tx-1", "item": "A.Notebook", "action": "update", "item_id": "nb-1", "actor": "bob",
        "workspace_id": "ws-9",
    }  # fmt: skip


def test_publishes_on_one_link_send_from_one_thread_that_ends_with_the_link(broker) -> None:
    publisher = publisher_for(broker)

    for number in range(1, 4):
        publisher.publish(outbox(number, events.PromotionCancelled(f"p-{number}", "bob")))
    senders = [t for t in threading.enumerate() if t.name == f"publish-{TOPIC}"]
    publisher.close()

    assert len(broker.messages(f"{TOPIC}/subscriptions/audit")) == 3
    assert len(senders) == 1
    senders[0].join(10)
    assert not senders[0].is_alive()


def test_the_topics_duplicate_detection_drops_a_message_sent_again_with_its_id(broker, publisher) -> None:
    sent = outbox(1, events.PromotionCancelled("p-1", "bob"))

    publisher.publish(sent)
    publisher.publish(sent)

    assert [m.message_id for m in broker.messages(f"{TOPIC}/subscriptions/audit")] == ["out-0001"]
    assert [m.message_id for m in broker.messages(f"{TOPIC}/subscriptions/ordered")] == ["out-0001"]


def test_a_relay_that_crashed_before_marking_sends_the_same_ids_and_the_topic_keeps_one_copy(broker, publisher) -> None:
    uow = MarkFailsOnce(FixedClock(T0), SequentialIdGenerator("unused"))
    with uow:
        for number in (1, 2, 3):
            uow.outbox.add(outbox(number, events.DeploymentStarted(f"tx-{number}", "ws-1", "test")))
        uow.commit()
    bus = MessageBus(uow, {}, {}, publisher, FixedClock(T0))
    uow.fail_next_commit = True

    with pytest.raises(StateStoreError):
        bus.relay_outbox(raise_errors=True)  # sent; the mark failed
    assert bus.relay_outbox() == 3  # the same three ids, sent again

    assert [m.message_id for m in broker.messages(f"{TOPIC}/subscriptions/audit")] == [
        "out-0001",
        "out-0002",
        "out-0003",
    ]
    with uow:
        assert uow.outbox.pending() == []


def test_each_session_keeps_its_order_across_many_small_batches(broker) -> None:
    # Interleaved events of two workspaces and a promotion, sent in batches of a few messages each.
    sent = []
    for number in range(1, 31):
        kind = number % 3
        if kind == 0:
            event: events.Event = events.ApprovalRecorded("p-1", f"approver-{number}", number, 99)
        else:
            event = events.ItemDeployed(f"tx-{kind}", f"Item {number}.Notebook", "create", f"id-{number}",
                                        workspace_id=f"ws-{kind}")  # fmt: skip
        sent.append(outbox(number, event))
    publisher = publisher_for(broker, max_batch_bytes=2048)
    try:
        publisher.publish_all(sent)
    finally:
        publisher.close()
    subscriber = SessionSubscriber(broker.connection_string(), TOPIC, "ordered")

    subscriber.delivered(at_least=len(sent))

    expected: dict[str, list[str]] = {}
    for message in sent:
        expected.setdefault(message.payload.get("request_id") or message.payload["workspace_id"], []).append(message.id)
    assert subscriber.by_session() == expected
    assert [m.message_id for m in broker.messages(f"{TOPIC}/subscriptions/audit")] == [m.id for m in sent]


def test_a_broker_that_is_gone_fails_the_publish_naming_the_topic_and_nothing_counts_as_sent(broker) -> None:
    publisher = publisher_for(broker)
    broker.stop()

    with pytest.raises(EventsNotPublished, match=f"could not publish to Service Bus topic '{TOPIC}'") as caught:
        publisher.publish_all([outbox(1, events.PromotionCancelled("p-1", "bob"))])

    assert caught.value.published == 0
    publisher.close()


def test_a_refused_key_fails_the_publish_without_showing_the_key(broker) -> None:
    publisher = publisher_for(broker, key="d3Jvbmcta2V5LW5vdC1hLXNlY3JldA==")

    with pytest.raises(EventsNotPublished) as caught:
        publisher.publish(outbox(1, events.PromotionCancelled("p-1", "bob")))

    assert caught.value.published == 0
    assert "d3Jvbmcta2V5" not in str(caught.value) and "broker-test-key" not in str(caught.value)
    assert broker.messages(f"{TOPIC}/subscriptions/audit") == []
    publisher.close()


def test_an_unknown_topic_fails_the_publish_naming_it(broker) -> None:
    publisher = ServiceBusEventPublisher(
        lambda: servicebus_client(connection_string=broker.connection_string()), "no-such-topic"
    )

    with pytest.raises(EventsNotPublished, match="'no-such-topic'"):
        publisher.publish(outbox(1, events.PromotionCancelled("p-1", "bob")))
    publisher.close()


def test_after_a_failure_the_next_publish_opens_a_fresh_connection(servicebus_broker_factory) -> None:  # noqa: F811
    gone, back = servicebus_broker_factory(topics=TOPICS), servicebus_broker_factory(topics=TOPICS)
    gone.stop()
    targets = [gone.connection_string(), back.connection_string()]  # each client opened takes the next
    publisher = ServiceBusEventPublisher(lambda: servicebus_client(connection_string=targets.pop(0)), TOPIC)

    with pytest.raises(EventsNotPublished):
        publisher.publish(outbox(1, events.PromotionCancelled("p-1", "bob")))
    publisher.publish(outbox(1, events.PromotionCancelled("p-1", "bob")))

    assert [m.message_id for m in back.messages(f"{TOPIC}/subscriptions/audit")] == ["out-0001"]
    assert targets == []
    publisher.close()


def test_an_endpoint_that_takes_the_connection_and_never_answers_fails_the_publish_at_its_deadline() -> None:
    # A listening socket nobody serves: the kernel completes the TCP handshake, no AMQP header ever comes
    # back. Without its deadline the SDK would wait for it forever.
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    connection_string = (
        f"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=k;SharedAccessKey=c2lsZW50;UseDevelopmentEmulator=true;"
    )
    publisher = ServiceBusEventPublisher(
        lambda: servicebus_client(connection_string=connection_string), TOPIC, deadline_s=2
    )
    try:
        with pytest.raises(EventsNotPublished, match=f"topic '{TOPIC}': no answer within 2 s") as caught:
            publisher.publish(outbox(1, events.PromotionCancelled("p-1", "bob")))
        assert caught.value.published == 0
    finally:
        silent.close()  # the stuck send sees its connection reset and ends
        publisher.close()
