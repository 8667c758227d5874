"""Run the broker on a free 127.0.0.1 port in a background thread of the test process, stop it cleanly.

A thread rather than a subprocess: the inspection API reads the broker's state directly, and the
thread ends with the reactor (no process to lose). Cross-thread calls into proton go through an
EventInjector, the one thread-safe entry into a running Container.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from proton.reactor import ApplicationEvent, Container, EventInjector

from servicebus_broker.cbs import SasPolicy
from servicebus_broker.entities import DEAD_LETTER_SUFFIX, EntityOptions, Namespace
from servicebus_broker.handler import SWEEP_S, BrokerHandler
from servicebus_broker.inspection import HeldMessage, snapshot

KEY_NAME = "RootManageSharedAccessKey"
KEY = "broker-test-key-not-a-secret="  # a throwaway key: the broker is a loopback-only test double


@dataclass(frozen=True)
class TopicSpec:
    subscriptions: Mapping[str, EntityOptions] = field(default_factory=dict)
    options: EntityOptions = field(default_factory=EntityOptions)


class _Events(BrokerHandler):
    """Adds the timer sweep and the stop request to the protocol handler."""

    def __init__(self, namespace: Namespace, policy: SasPolicy) -> None:
        super().__init__(namespace, policy)
        self.container: Container | None = None

    def on_reactor_init(self, event):  # type: ignore[no-untyped-def]
        self.container = event.container
        event.container.schedule(SWEEP_S, self)

    def on_timer_task(self, event):  # type: ignore[no-untyped-def]
        self.sweep()
        event.container.schedule(SWEEP_S, self)

    def on_stop_broker(self, event):  # type: ignore[no-untyped-def]
        if self.container is not None:
            self.container.stop()


class RunningBroker:
    """A broker serving `queues` and `topics`; `connection_string()` is what the SDK needs."""

    def __init__(self, queues: Mapping[str, EntityOptions], topics: Mapping[str, TopicSpec]) -> None:
        self.namespace = Namespace()
        for name, options in queues.items():
            self.namespace.declare_queue(name, options)
        for name, spec in topics.items():
            self.namespace.declare_topic(name, dict(spec.subscriptions), spec.options)
        self.policy = SasPolicy(KEY_NAME, KEY)
        self._events = _Events(self.namespace, self.policy)
        self._container = Container(self._events)
        self._injector = EventInjector()
        self._container.selectable(self._injector)
        acceptor = self._container.acceptor("127.0.0.1", 0)
        self._listener = acceptor._selectable._delegate  # the listening socket
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._container.run, name=f"sb-broker-{self.port}", daemon=True)

    def start(self) -> RunningBroker:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._injector.trigger(ApplicationEvent("stop_broker"))
        self._thread.join(timeout_s)
        self._injector.close()
        # The reactor leaves its listening socket open when it stops: a client would connect and then wait
        # forever for the AMQP header. Closed, a stopped broker refuses connections as a stopped server does.
        self._listener.close()
        if self._thread.is_alive():
            raise RuntimeError(f"Service Bus broker on port {self.port} did not stop within {timeout_s} s")

    def connection_string(self, key: str | None = None) -> str:
        return (
            f"Endpoint=sb://127.0.0.1:{self.port};SharedAccessKeyName={KEY_NAME};"
            f"SharedAccessKey={KEY if key is None else key};UseDevelopmentEmulator=true;"
        )

    # -- inspection: what the broker holds, without a receiver ------------------------------------

    def messages(self, entity: str) -> list[HeldMessage]:
        """The messages held by a queue, subscription or `<entity>/$deadletterqueue`, in sequence order."""
        with self.namespace.lock:
            return [snapshot(m) for m in self.namespace.queue(entity).messages]

    def dead_letters(self, entity: str) -> list[HeldMessage]:
        return self.messages(entity + DEAD_LETTER_SUFFIX)


@contextmanager
def running_broker(
    queues: Mapping[str, EntityOptions] | None = None, topics: Mapping[str, TopicSpec] | None = None
) -> Iterator[RunningBroker]:
    broker = RunningBroker(queues or {}, topics or {}).start()
    try:
        yield broker
    finally:
        broker.stop()
