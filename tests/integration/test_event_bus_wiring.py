"""bootstrap() picks the event publisher from settings.event_bus: Service Bus by connection string (the REAL
SDK against the protocol-level broker double, verified against the double only) or by namespace."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import TopicSpec

from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher
from fabctl.application.ports import OutboxMessage
from fabctl.entrypoints.bootstrap import bootstrap

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("FABCTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FABCTL_STATE_STORE", "memory")
    monkeypatch.setenv("FABCTL_FABRIC", "memory")


def test_the_default_event_bus_is_in_memory() -> None:
    assert isinstance(bootstrap().publisher, InMemoryEventPublisher)


def test_a_connection_string_relays_the_outbox_to_the_configured_topic(
    monkeypatch: pytest.MonkeyPatch,
    servicebus_broker_factory,  # noqa: F811
) -> None:
    broker = servicebus_broker_factory(topics={"release-events": TopicSpec({"all": EntityOptions()})})
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_CONNECTION_STRING", broker.connection_string())
    monkeypatch.setenv("FABCTL_EVENTS_TOPIC", "release-events")
    app = bootstrap()
    with app.uow:
        app.uow.outbox.add(OutboxMessage("m-1", "PromotionCancelled", {"request_id": "p-1", "cancelled_by": "bob"}, T0))
        app.uow.commit()

    assert app.bus.relay_outbox() == 1

    [held] = broker.messages("release-events/subscriptions/all")
    assert (held.message_id, held.session_id, held.subject) == ("m-1", "p-1", "fabctl.PromotionCancelled.v1")
    with app.uow:
        assert app.uow.outbox.pending() == []
    assert isinstance(app.publisher, ServiceBusEventPublisher)
    app.publisher.close()


def test_a_namespace_builds_a_publisher_that_connects_only_when_it_publishes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_NAMESPACE", "contoso-prod")

    app = bootstrap()  # no network: nothing is opened before the first publish

    assert isinstance(app.publisher, ServiceBusEventPublisher)
    assert app.publisher.topic == "fabctl-events"
