"""pytest fixtures: `servicebus_broker_factory(queues=..., topics=...)` starts a broker with the given
entities (stopped at teardown); import them into a test module or a conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from servicebus_broker.entities import EntityOptions
from servicebus_broker.process import RunningBroker, TopicSpec

BrokerFactory = Callable[..., RunningBroker]


@pytest.fixture
def servicebus_broker_factory() -> Iterator[BrokerFactory]:
    started: list[RunningBroker] = []

    def start(
        queues: Mapping[str, EntityOptions] | None = None, topics: Mapping[str, TopicSpec] | None = None
    ) -> RunningBroker:
        broker = RunningBroker(queues or {}, topics or {}).start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()
