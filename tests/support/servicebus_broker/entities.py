"""What the broker holds: queues, topics with subscriptions, sessions, dead-letter sub-queues.

Plain data and rules, no AMQP: the handler translates frames into calls on `Namespace`. Every method
takes the clock (`now_ms`) as an argument, so the rules are deterministic for a given sequence of
calls. All state is guarded by one lock: the reactor thread mutates it, tests inspect it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from proton import Message

DEAD_LETTER_SUFFIX = "/$deadletterqueue"
MAX_DELIVERY_COUNT_REASON = "MaxDeliveryCountExceeded"


class UnknownEntity(LookupError):
    """The address names no declared queue, topic, subscription or dead-letter queue."""


class SessionCannotBeLocked(RuntimeError):
    """The session is held by another receiver, or none with messages is free."""


class LockLost(LookupError):
    """The lock token names no message this broker still holds locked."""


@dataclass(frozen=True)
class EntityOptions:
    """Per-entity settings, declared up front (the broker has no management plane for entities)."""

    requires_session: bool = False
    max_delivery_count: int = 10
    lock_duration_s: float = 60.0
    duplicate_detection_window_s: float | None = None  # None: duplicates are kept, as Service Bus does


@dataclass
class StoredMessage:
    message: Message
    sequence_number: int
    enqueued_at_ms: int
    delivery_count: int = 0
    lock_token: uuid.UUID | None = None
    locked_until_ms: int | None = None
    owner: object | None = None  # the receiver link holding the lock (sessions release on detach)

    @property
    def session_id(self) -> str | None:
        group = self.message.group_id
        return None if group is None else str(group)


@dataclass
class SessionLock:
    owner: object
    locked_until_ms: int


@dataclass
class Queue:
    """Anything a receiver reads from: a queue, a subscription or a dead-letter sub-queue."""

    path: str
    options: EntityOptions
    messages: list[StoredMessage] = field(default_factory=list)
    session_locks: dict[str, SessionLock] = field(default_factory=dict)
    session_states: dict[str, bytes] = field(default_factory=dict)
    dead_letters: Queue | None = None

    def locked(self, token: uuid.UUID) -> StoredMessage:
        for stored in self.messages:
            if stored.lock_token == token:
                return stored
        raise LockLost(str(token))

    def sessions_with_messages(self) -> list[str]:
        seen: dict[str, None] = {}
        for stored in self.messages:
            if stored.session_id is not None:
                seen.setdefault(stored.session_id)
        return list(seen)


@dataclass
class Topic:
    path: str
    options: EntityOptions
    subscriptions: dict[str, Queue] = field(default_factory=dict)
    scheduled: dict[int, bytes] = field(default_factory=dict)  # sequence number -> encoded message (scheduling.py)


class Namespace:
    """The entities of one broker, addressed by their Service Bus paths (case-insensitive)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._queues: dict[str, Queue] = {}
        self._topics: dict[str, Topic] = {}
        self._seen_ids: dict[str, dict[str, int]] = {}  # send path -> message_id -> enqueued ms
        self._next_sequence = 1

    # -- declaration -------------------------------------------------------------------------------

    def declare_queue(self, name: str, options: EntityOptions) -> None:
        self._queues[name.lower()] = self._with_dead_letters(name, options)

    def declare_topic(self, name: str, subscriptions: dict[str, EntityOptions], options: EntityOptions) -> None:
        topic = Topic(name, options)
        for sub_name, sub_options in subscriptions.items():
            path = f"{name}/subscriptions/{sub_name}"
            queue = self._with_dead_letters(path, sub_options)
            topic.subscriptions[sub_name.lower()] = queue
            self._queues[path.lower()] = queue
        self._topics[name.lower()] = topic

    def _with_dead_letters(self, path: str, options: EntityOptions) -> Queue:
        dead = Queue(path + DEAD_LETTER_SUFFIX, EntityOptions(lock_duration_s=options.lock_duration_s))
        self._queues[dead.path.lower()] = dead
        return Queue(path, options, dead_letters=dead)

    # -- lookup ------------------------------------------------------------------------------------

    def queue(self, path: str) -> Queue:
        try:
            return self._queues[path.lower()]
        except KeyError:
            raise UnknownEntity(path) from None

    def topic(self, path: str) -> Topic:
        try:
            return self._topics[path.lower()]
        except KeyError:
            raise UnknownEntity(path) from None

    def next_sequence_number(self) -> int:
        with self.lock:
            number = self._next_sequence
            self._next_sequence += 1
            return number

    def can_send_to(self, path: str) -> bool:
        key = path.lower()
        return (key in self._queues and not key.endswith(DEAD_LETTER_SUFFIX)) or key in self._topics

    def queues(self) -> Iterator[Queue]:
        return iter(list(self._queues.values()))

    # -- sending -----------------------------------------------------------------------------------

    def enqueue(self, path: str, messages: list[Message], now_ms: int) -> list[Queue]:
        """Store each message in the entity (fanned out to every subscription of a topic); returns
        the queues that received something, so the handler knows whom to deliver to."""
        key = path.lower()
        if key in self._topics:
            topic = self._topics[key]
            targets, options = list(topic.subscriptions.values()), topic.options
        elif self.can_send_to(path):
            queue = self._queues[key]
            targets, options = [queue], queue.options
        else:
            raise UnknownEntity(path)
        kept = [m for m in messages if not self._is_duplicate(key, m, options, now_ms)]
        for message in kept:
            # One sequence number per message sent: the subscriptions of a topic share it.
            sequence_number = self._next_sequence
            self._next_sequence += 1
            for queue in targets:
                queue.messages.append(_stored(message, sequence_number, now_ms))
        return targets if kept else []

    def _is_duplicate(self, key: str, message: Message, options: EntityOptions, now_ms: int) -> bool:
        window = options.duplicate_detection_window_s
        if window is None or message.id is None:
            return False
        seen = self._seen_ids.setdefault(key, {})
        message_id = str(message.id)
        first = seen.get(message_id)
        if first is not None and now_ms - first < window * 1000:
            return True
        seen[message_id] = now_ms
        return False


def _stored(message: Message, sequence_number: int, now_ms: int) -> StoredMessage:
    # Each subscription gets its own copy: settling one must not touch another's.
    copy = Message()
    copy.decode(message.encode())
    return StoredMessage(copy, sequence_number, now_ms)
