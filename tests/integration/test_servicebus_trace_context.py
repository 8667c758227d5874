"""The trace goes out with the events: ServiceBusEventPublisher (the REAL azure-servicebus SDK, against the
protocol-level broker double) puts the publishing trace's W3C `traceparent` on every message as an
application property, and none when nothing is traced."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from otel_capture import captured
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec

from fabctl.adapters.servicebus.client import servicebus_client
from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher
from fabctl.application.ports import OutboxMessage
from fabctl.domain import events

TOPIC = "fabctl-events"
TOPICS = {TOPIC: TopicSpec({"audit": EntityOptions()}, EntityOptions(duplicate_detection_window_s=600))}


def outbox(number: int) -> OutboxMessage:
    event = events.ItemDeployed("tx-1", f"Item{number}.Notebook", "update", f"nb-{number}", "bob", workspace_id="ws-9")
    return OutboxMessage(
        f"out-{number}", type(event).__name__, dataclasses.asdict(event), datetime(2026, 3, 1, tzinfo=UTC)
    )


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(topics=TOPICS)


def test_messages_published_in_a_trace_carry_its_traceparent(broker: RunningBroker) -> None:
    capture = captured()
    publisher = ServiceBusEventPublisher(
        lambda: servicebus_client(connection_string=broker.connection_string()), TOPIC,
        trace_context=capture.telemetry.carrier,
    )  # fmt: skip
    try:
        with capture.telemetry.span("fabctl.command", command="ExecuteDeployment"):
            publisher.publish_all([outbox(1), outbox(2)])
        publisher.publish_all([outbox(3)])  # outside any trace
    finally:
        publisher.close()

    [span] = capture.spans()
    context = span.context
    expected = f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
    held = broker.messages(f"{TOPIC}/subscriptions/audit")
    assert [m.application_properties.get("traceparent") for m in held] == [expected, expected, None]
    assert held[2].application_properties == {"workspace_id": "ws-9"}
