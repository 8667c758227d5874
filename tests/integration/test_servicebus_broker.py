"""The protocol-level Service Bus broker double, driven by the REAL azure-servicebus SDK (sync client).

What passes here is verified against the double only (tests/support/servicebus_broker), not Service Bus.
Every receive is bounded by max_wait_time and asks for exactly the count expected, so it returns as
soon as the messages are there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.servicebus import (
    NEXT_AVAILABLE_SESSION,
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import (
    MessagingEntityNotFoundError,
    ServiceBusAuthenticationError,
    ServiceBusError,
    SessionCannotBeLockedError,
)
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec

WAIT = 1  # seconds: the bound of every receive; a receive that gets its count returns at once

QUEUES = {
    "orders": EntityOptions(),
    "fragile": EntityOptions(max_delivery_count=2),
    "commands": EntityOptions(requires_session=True),
    "dedup": EntityOptions(duplicate_detection_window_s=60),
}
TOPICS = {"events": TopicSpec({"audit": EntityOptions(), "notify": EntityOptions()})}


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(queues=QUEUES, topics=TOPICS)


@pytest.fixture
def client(broker: RunningBroker) -> Iterator[ServiceBusClient]:
    with ServiceBusClient.from_connection_string(broker.connection_string(), retry_total=0) as sb:
        yield sb


def send(client: ServiceBusClient, queue: str, *messages: ServiceBusMessage) -> None:
    with client.get_queue_sender(queue) as sender:
        sender.send_messages(list(messages) if len(messages) > 1 else messages[0])


def test_a_message_keeps_its_properties_and_gets_the_broker_annotations(broker, client) -> None:
    send(
        client,
        "orders",
        ServiceBusMessage(
            b"\x00payload",
            message_id="m-1",
            subject="order.placed",
            content_type="application/json",
            application_properties={"tenant": "t1", "attempt": 3},
        ),
    )
    with client.get_queue_receiver("orders", max_wait_time=WAIT) as receiver:
        [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        assert b"".join(got.body) == b"\x00payload"
        assert (got.message_id, got.subject, got.content_type) == ("m-1", "order.placed", "application/json")
        assert got.application_properties == {b"tenant": b"t1", b"attempt": 3}
        assert got.sequence_number == 1
        assert got.enqueued_time_utc is not None and got.locked_until_utc > got.enqueued_time_utc
        assert len(uuid.UUID(str(got.lock_token)).bytes) == 16
        receiver.complete_message(got)
    assert broker.messages("orders") == []


def test_a_batch_arrives_as_one_transfer_and_is_split_into_its_messages(broker, client) -> None:
    send(client, "orders", *(ServiceBusMessage(f"n{i}", message_id=f"id-{i}") for i in range(3)))
    held = broker.messages("orders")
    assert [(m.message_id, m.body) for m in held] == [("id-0", b"n0"), ("id-1", b"n1"), ("id-2", b"n2")]
    assert [m.sequence_number for m in held] == [1, 2, 3]


def test_a_wrong_key_is_refused_with_an_authentication_error(broker) -> None:
    connection = broker.connection_string(key="d3Jvbmcta2V5")
    with (
        ServiceBusClient.from_connection_string(connection, retry_total=0) as sb,
        pytest.raises(ServiceBusAuthenticationError),
    ):
        send(sb, "orders", ServiceBusMessage(b"x"))
    assert broker.messages("orders") == []


def test_an_unknown_entity_raises_for_senders_and_receivers(client) -> None:
    with pytest.raises(ServiceBusError):
        send(client, "no-such-queue", ServiceBusMessage(b"x"))
    with pytest.raises(MessagingEntityNotFoundError), client.get_queue_receiver("no-such-queue") as receiver:
        receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)


def test_a_topic_fans_out_to_every_subscription(broker, client) -> None:
    with client.get_topic_sender("events") as sender:
        sender.send_messages(ServiceBusMessage(b"deployed", message_id="e-1"))
    for name in ("audit", "notify"):
        assert [m.message_id for m in broker.messages(f"events/subscriptions/{name}")] == ["e-1"]
    with client.get_subscription_receiver("events", "audit", max_wait_time=WAIT) as receiver:
        [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        receiver.complete_message(got)
    assert broker.messages("events/subscriptions/audit") == []
    assert [m.message_id for m in broker.messages("events/subscriptions/notify")] == ["e-1"]


def test_abandon_redelivers_with_the_delivery_count_one_higher(client) -> None:
    send(client, "orders", ServiceBusMessage(b"x", message_id="a-1"))
    with client.get_queue_receiver("orders", max_wait_time=WAIT) as receiver:
        [first] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        receiver.abandon_message(first)
        [again] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        assert (again.message_id, first.delivery_count, again.delivery_count) == ("a-1", 0, 1)
        receiver.complete_message(again)


def test_dead_letter_keeps_the_reason_and_description(broker, client) -> None:
    send(client, "orders", ServiceBusMessage(b"x", message_id="d-1"))
    with client.get_queue_receiver("orders", max_wait_time=WAIT) as receiver:
        [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        receiver.dead_letter_message(got, reason="BadPlan", error_description="item folder missing")
    assert broker.messages("orders") == []
    [held] = broker.dead_letters("orders")
    assert held.application_properties == {
        "DeadLetterReason": "BadPlan",
        "DeadLetterErrorDescription": "item folder missing",
    }
    dlq = client.get_queue_receiver("orders", sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT)
    with dlq:
        [dead] = dlq.receive_messages(max_message_count=1, max_wait_time=WAIT)
        assert (dead.message_id, dead.dead_letter_reason, dead.dead_letter_error_description) == (
            "d-1",
            "BadPlan",
            "item folder missing",
        )
        dlq.complete_message(dead)
    assert broker.dead_letters("orders") == []


def test_the_max_delivery_count_moves_a_message_to_the_dead_letter_queue(broker, client) -> None:
    send(client, "fragile", ServiceBusMessage(b"x", message_id="f-1"))
    with client.get_queue_receiver("fragile", max_wait_time=WAIT) as receiver:
        for _ in range(2):  # max_delivery_count=2
            [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
            receiver.abandon_message(got)
    assert broker.messages("fragile") == []
    [held] = broker.dead_letters("fragile")
    assert (held.message_id, held.application_properties["DeadLetterReason"]) == ("f-1", "MaxDeliveryCountExceeded")


def test_receive_and_delete_removes_on_delivery(broker, client) -> None:
    send(client, "orders", ServiceBusMessage(b"x", message_id="r-1"))
    mode = ServiceBusReceiveMode.RECEIVE_AND_DELETE
    with client.get_queue_receiver("orders", receive_mode=mode, max_wait_time=WAIT) as receiver:
        [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
    assert got.message_id == "r-1"
    assert broker.messages("orders") == []


def test_a_session_receiver_gets_only_its_session_in_order(client) -> None:
    send(client, "commands", *(ServiceBusMessage(f"{s}{i}", session_id=s) for i in range(3) for s in "ab"))
    with client.get_queue_receiver("commands", session_id="b", max_wait_time=WAIT) as receiver:
        got = receiver.receive_messages(max_message_count=3, max_wait_time=WAIT)
        assert [str(m) for m in got] == ["b0", "b1", "b2"]
        assert {m.session_id for m in got} == {"b"}
        for message in got:
            receiver.complete_message(message)


def test_next_available_session_locks_a_session_that_has_messages(client) -> None:
    send(client, "commands", ServiceBusMessage(b"c0", session_id="s-7"), ServiceBusMessage(b"c1", session_id="s-7"))
    receiver = client.get_queue_receiver("commands", session_id=NEXT_AVAILABLE_SESSION, max_wait_time=WAIT)
    with receiver:
        got = receiver.receive_messages(max_message_count=2, max_wait_time=WAIT)
        assert receiver.session.session_id == "s-7"
        assert [str(m) for m in got] == ["c0", "c1"]


def test_a_session_is_locked_to_one_receiver_at_a_time(client) -> None:
    send(client, "commands", ServiceBusMessage(b"x", session_id="one"))
    with client.get_queue_receiver("commands", session_id="one", max_wait_time=WAIT) as holder:
        holder.receive_messages(max_message_count=1, max_wait_time=WAIT)
        other = client.get_queue_receiver("commands", session_id="one", max_wait_time=WAIT)
        with pytest.raises(SessionCannotBeLockedError), other:
            other.receive_messages(max_message_count=1, max_wait_time=WAIT)
    # The holder closed: the session and its unsettled message are free again.
    with client.get_queue_receiver("commands", session_id="one", max_wait_time=WAIT) as again:
        [got] = again.receive_messages(max_message_count=1, max_wait_time=WAIT)
        assert got.delivery_count == 1


def test_session_state_and_session_lock_renewal(client) -> None:
    send(client, "commands", ServiceBusMessage(b"x", session_id="st"))
    with client.get_queue_receiver("commands", session_id="st", max_wait_time=WAIT) as receiver:
        session = receiver.session
        before = session.locked_until_utc
        session.set_state(b"checkpoint-2")
        assert session.get_state() == b"checkpoint-2"
        assert session.renew_lock() >= before


def test_duplicate_detection_drops_a_resend_with_the_same_message_id(broker, client) -> None:
    with client.get_queue_sender("dedup") as dedup, client.get_queue_sender("orders") as plain:
        for _ in range(2):
            dedup.send_messages(ServiceBusMessage(b"x", message_id="same"))
            plain.send_messages(ServiceBusMessage(b"x", message_id="same"))
    assert [m.message_id for m in broker.messages("dedup")] == ["same"]
    assert [m.message_id for m in broker.messages("orders")] == ["same", "same"]  # no detection declared


def test_renewing_a_message_lock_moves_its_locked_until(broker, client) -> None:
    send(client, "orders", ServiceBusMessage(b"x"))
    with client.get_queue_receiver("orders", max_wait_time=WAIT) as receiver:
        [got] = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
        first = got.locked_until_utc
        renewed = receiver.renew_message_lock(got)
        assert renewed >= first and got.locked_until_utc == renewed
        assert broker.messages("orders")[0].locked
        receiver.complete_message(got)
