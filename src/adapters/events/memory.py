"""An event publisher that keeps what it was given, and hands it to in-process subscribers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fabctl.application.errors import EventsNotPublished
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

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        for count, message in enumerate(messages):
            try:
                self.publish(message)
            except Exception as e:  # a subscriber that fails did not get it, nor any after it
                raise EventsNotPublished(f"{type(e).__name__}: {e}", published=count) from e
