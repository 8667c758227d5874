"""`/api/health` against the real stores and the Service Bus broker double: each cheap check passing, and
failing (503) for a real reason: a store nothing answers for, an entity the namespace lacks, a wrong key,
the broker gone. What holds for Service Bus is verified against the double only."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from azure_state import azurite  # noqa: F401 (a fixture)
from azurite_process import RunningAzurite, fresh_name
from function_calls import document, http
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import BrokerFactory, servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec

from .conftest import Site

TOPICS = {"fabctl-events": TopicSpec({"all": EntityOptions()})}
QUEUES = {"fabctl-commands": EntityOptions(requires_session=True)}


def checks(expected_status: int) -> dict[str, dict[str, Any]]:
    response = http("GET", "health")
    assert response.status_code == expected_status, response.get_body()
    assert "Traceback" not in response.get_body().decode()
    return {c["name"]: c for c in document(response)["checks"]}


def on_service_bus(monkeypatch: pytest.MonkeyPatch, connection_string: str) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_CONNECTION_STRING", connection_string)


def test_service_bus_passes_with_the_topic_and_the_queue(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    broker = servicebus_broker_factory(queues=QUEUES, topics=TOPICS)
    on_service_bus(monkeypatch, broker.connection_string())

    found = checks(200)["service bus"]

    assert found["status"] == "pass" and "fabctl-events" in found["detail"] and "fabctl-commands" in found["detail"]


def test_service_bus_fails_when_the_queue_is_missing(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    broker = servicebus_broker_factory(topics=TOPICS)  # no commands queue
    on_service_bus(monkeypatch, broker.connection_string())

    found = checks(503)["service bus"]

    assert found["status"] == "fail" and found["fix"]
    assert found["detail"].startswith("queue fabctl-commands: ")


def test_service_bus_fails_with_a_wrong_key_and_never_shows_it(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    broker = servicebus_broker_factory(queues=QUEUES, topics=TOPICS)
    wrong = "d3Jvbmcta2V5LWZvci10aGUtZG9jdG9yLXRlc3Q="
    on_service_bus(monkeypatch, broker.connection_string(key=wrong))

    response = http("GET", "health")

    assert response.status_code == 503
    body = response.get_body().decode()
    assert wrong not in body
    assert {c["name"]: c["status"] for c in document(response)["checks"]}["service bus"] == "fail"


def test_service_bus_fails_when_the_broker_is_gone(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    broker: RunningBroker = servicebus_broker_factory(queues=QUEUES, topics=TOPICS)
    on_service_bus(monkeypatch, broker.connection_string())
    broker.stop()

    found = checks(503)["service bus"]
    assert found["status"] == "fail" and found["detail"].startswith("topic fabctl-events: ")


def test_the_azure_store_passes_on_azurite(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    azurite: RunningAzurite,  # noqa: F811
) -> None:
    monkeypatch.setenv("FABCTL_STATE_STORE", "azure")
    monkeypatch.setenv("FABCTL_STORAGE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("FABCTL_STATE_TABLE", fresh_name("doctor"))

    found = checks(200)["state store"]

    assert found["status"] == "pass" and "Azure storage" in found["detail"]


def test_the_azure_store_fails_when_nothing_answers_for_it(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    azurite: RunningAzurite,  # noqa: F811
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = azurite.connection_string.replace(azurite.blob_url, f"http://127.0.0.1:{port}/devstoreaccount1")
    gone = gone.replace(azurite.table_url, f"http://127.0.0.1:{port}/devstoreaccount1")
    monkeypatch.setenv("FABCTL_STATE_STORE", "azure")
    monkeypatch.setenv("FABCTL_STORAGE_CONNECTION_STRING", gone)

    found = checks(503)
    assert found["state store"]["status"] == "fail" and found["state store"]["fix"]
    assert found["settings"]["status"] == "pass"
