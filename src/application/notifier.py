"""Notifications: committed events sent to the people who asked for them (Teams, webhooks).

The notifier is a second consumer of the outbox messages the relay publishes: `NotifyingPublisher` hands it
every message the event bus accepted, after the bus accepted it. So a webhook that fails or hangs can never
keep an event from the bus, nor fail the command that recorded it: the notifier never raises. A message no
channel could deliver after its retries becomes a dead letter, kept until `retry` delivers it (docs/notifications.md).

Two channels (ADR 0044's amendment): inside the relaying command, `channel` tries once with a short timeout, and a
subscriber that did not answer is not tried again in the same relay (its later notifications become dead letters at
once): a hung subscriber delays the command by about one timeout, not by retries times messages. `retry` (the
`fabctl notify retry` command, whose job it is) uses `retry_channel`, with the patient policy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fabctl.application.errors import EventsNotPublished
from fabctl.application.ports import Clock, EventPublisher, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """Who wants which events. `url` and `signing_key` are references (`$secret:NAME`, `$ENV:NAME`), or, for a
    webhook's URL only, the URL itself: they are resolved when sending, and never shown."""

    name: str
    kind: str  # "teams" (a workflow webhook, an adaptive card) or "webhook" (a CloudEvent)
    url: str
    events: frozenset[str]
    environments: frozenset[str] = frozenset()  # empty: every environment
    signing_key: str = ""  # a webhook's HMAC key reference; "" = unsigned

    def wants(self, event_type: str, environment: str) -> bool:
        if event_type not in self.events:
            return False
        return not self.environments or environment in self.environments


@dataclass(frozen=True)
class Notification:
    """One event for one subscriber, with what a reader needs that the event itself may not carry."""

    subscription: Subscription
    message: OutboxMessage
    environment: str  # "" when no environment could be told
    actor: str


class NotificationNotDelivered(Exception):
    """A channel gave up on a notification. `reason` never holds the URL or a key."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class NotificationChannel(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver `notification`, retrying what may pass; `NotificationNotDelivered` after the last attempt."""


@dataclass(frozen=True)
class DeadLetter:
    id: str  # "<message id>.<subscription name>": one per event and subscriber
    subscription: str
    message: OutboxMessage
    reason: str
    attempts: int
    failed_at: datetime


class DeadLetters(Protocol):
    """Notifications given up on, kept for `retry`. Adding one with an id already kept replaces it."""

    def add(self, letter: DeadLetter) -> None: ...
    def list(self) -> list[DeadLetter]: ...
    def remove(self, letter_id: str) -> None: ...


# The environment an event concerns and who caused it, from the event and the state it refers to.
EventContext = Callable[[OutboxMessage], tuple[str, str]]


@dataclass(frozen=True)
class RetryOutcome:
    delivered: tuple[str, ...]
    failed: tuple[str, ...]
    unknown: tuple[str, ...]  # ids asked for that are not dead letters


class Notifier:
    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        channel: NotificationChannel,
        dead_letters: DeadLetters,
        context: EventContext,
        clock: Clock,
        retry_channel: NotificationChannel | None = None,
    ) -> None:
        self.subscriptions = tuple(subscriptions)
        self._channel = channel
        self._retry_channel = retry_channel or channel
        self._dead_letters = dead_letters
        self._context = context
        self._clock = clock

    def notify(self, messages: Sequence[OutboxMessage]) -> int:
        """Send each message to every subscriber that wants it; how many were delivered. Never raises."""
        delivered = 0
        unanswered: set[str] = set()  # subscribers that failed in this relay: not waited on again
        for message in messages:
            wanting = [s for s in self.subscriptions if message.type in s.events]
            if not wanting:
                continue
            environment, actor = self._context_of(message)
            for subscription in wanting:
                if not subscription.wants(message.type, environment):
                    continue
                notification = Notification(subscription, message, environment, actor)
                if subscription.name in unanswered:
                    self._keep(notification, "not tried: the subscriber failed earlier in this relay", 0)
                    continue
                sent = self._deliver(notification, self._channel)
                delivered += sent
                if not sent:
                    unanswered.add(subscription.name)
        return delivered

    def retry(self, letter_ids: Sequence[str] = ()) -> RetryOutcome:
        """Send the dead letters again (all, or those named); those delivered are no longer kept."""
        letters = {letter.id: letter for letter in self._dead_letters.list()}
        wanted = list(letter_ids) or list(letters)
        by_name = {s.name: s for s in self.subscriptions}
        delivered, failed = [], []
        for letter_id in (i for i in wanted if i in letters):
            letter = letters[letter_id]
            subscription = by_name.get(letter.subscription)
            if subscription is None:
                failed.append(letter_id)  # its subscriber is no longer configured: kept, not dropped unseen
                continue
            environment, actor = self._context_of(letter.message)
            if self._deliver(Notification(subscription, letter.message, environment, actor), self._retry_channel):
                self._dead_letters.remove(letter_id)
                delivered.append(letter_id)
            else:
                failed.append(letter_id)
        unknown = tuple(i for i in wanted if i not in letters)
        return RetryOutcome(tuple(delivered), tuple(failed), unknown)

    def _context_of(self, message: OutboxMessage) -> tuple[str, str]:
        try:
            return self._context(message)
        except Exception as e:  # a state store's failure must not cost the notification
            logger.warning("the context of event %s could not be read (%s)", message.id, type(e).__name__)
            return "", ""

    def _deliver(self, notification: Notification, channel: NotificationChannel) -> int:
        try:
            channel.send(notification)
            return 1
        except NotificationNotDelivered as e:
            reason, attempts = e.reason, e.attempts
        except Exception as e:  # an adapter's defect: still a dead letter, never the relay's failure
            reason, attempts = f"{type(e).__name__}", 1
        self._keep(notification, reason, attempts)
        return 0

    def _keep(self, notification: Notification, reason: str, attempts: int) -> None:
        """Keep a notification not delivered as a dead letter, for `retry`."""
        subscription, message = notification.subscription, notification.message
        logger.warning("notification of %s to '%s' not delivered: %s", message.type, subscription.name, reason)
        letter_id = f"{message.id}.{subscription.name}"
        letter = DeadLetter(letter_id, subscription.name, message, reason, attempts, self._clock.now())
        try:
            self._dead_letters.add(letter)
        except Exception:
            logger.exception("dead letter %s could not be kept", letter_id)


class NotifyingPublisher:
    """An event publisher that, after the bus accepted messages, hands them to the notifier."""

    def __init__(self, inner: EventPublisher, notifier: Notifier) -> None:
        self.inner = inner
        self._notifier = notifier

    def publish(self, message: OutboxMessage) -> None:
        self.inner.publish(message)
        self._notifier.notify([message])

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        try:
            self.inner.publish_all(messages)
        except EventsNotPublished as e:
            self._notifier.notify(messages[: e.published])  # those the bus took; the rest go with the next relay
            raise
        self._notifier.notify(messages)
