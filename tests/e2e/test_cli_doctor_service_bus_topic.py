"""`fabctl doctor`'s Service Bus check proves the events topic, not only the queue: a probe message is
scheduled on the topic and cancelled, so nothing reaches a subscription; a namespace without the topic
fails naming it. Against the protocol-level broker double (tests/support/servicebus_broker: scheduled
messages are held there until cancelled, never delivered), with the real azure-servicebus SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy_process import environment, fabctl
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import BrokerFactory, servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec
from sources import SOURCE, new_source

TOPICS = {"fabctl-events": TopicSpec({"all": EntityOptions()})}
QUEUES = {"fabctl-commands": EntityOptions(requires_session=True)}


def service_bus_check(cwd: Path, broker: RunningBroker) -> tuple[int, dict[str, Any]]:
    env = environment(FABCTL_EVENT_BUS="servicebus", FABCTL_SERVICEBUS_CONNECTION_STRING=broker.connection_string())
    result = fabctl(cwd, "doctor", SOURCE, "-o", "json", env=env)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    return result.returncode, checks["service bus"]


def test_the_topic_takes_a_probe_and_keeps_nothing(
    tmp_path: Path,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    new_source(tmp_path)
    broker = servicebus_broker_factory(queues=QUEUES, topics=TOPICS)

    _, check = service_bus_check(tmp_path, broker)

    assert check["status"] == "pass", check
    assert check["detail"] == (
        "signed in; topic fabctl-events took a probe message (scheduled and cancelled); queue fabctl-commands read"
    )
    assert broker.namespace.topic("fabctl-events").scheduled == {}  # cancelled: nothing left to deliver
    assert broker.namespace.queue("fabctl-events/subscriptions/all").messages == []


def test_a_namespace_without_the_topic_fails_naming_it(
    tmp_path: Path,
    servicebus_broker_factory: BrokerFactory,  # noqa: F811
) -> None:
    new_source(tmp_path)
    broker = servicebus_broker_factory(queues=QUEUES)  # the queue, but no events topic

    code, check = service_bus_check(tmp_path, broker)

    assert code == 2 and check["status"] == "fail", check
    assert check["detail"].startswith("topic fabctl-events: "), check
    assert check["fix"] == (
        "check the namespace, the entity names and the identity's Send and Listen rights (docs/azure.md)"
    )
