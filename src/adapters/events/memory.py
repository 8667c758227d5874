"""An event publisher that keeps what it was given, and hands it to in-process subscribers."""

from __future__ import annotations

from collections.abc import Callable

from fabctl.application.ports import OutboxMessage


class InMemoryEventPublisher:
    def __init__(self) -> None:
        self.published: list[OutboxMessage] = []
        self._subscribers: list[Callable[[OutboxMessage], None]] = []

    def subscribe(self, subscriber: Callable[[OutboxMessage], None]) -> None:
        self._subscribers.append(subscriber)

    def publish(self, message: OutboxMessage) -> None:
        self.published.append(message)
        for subscriber in self._subscribers:
            subscriber(message)
