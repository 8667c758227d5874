"""The peek-lock rules on one queue: take, complete, abandon, dead-letter, renew, lock expiry.

Delivery counts follow the AMQP header as the Python SDK reads it: 0 on the first delivery, +1 for
every abandon, lock expiry or receiver lost while the message was locked. When the count reaches the
entity's max delivery count the message moves to the dead-letter sub-queue, as Service Bus does.
"""

from __future__ import annotations

import uuid

from proton import Message

from servicebus_broker.entities import (
    MAX_DELIVERY_COUNT_REASON,
    LockLost,
    Queue,
    SessionCannotBeLocked,
    SessionLock,
    StoredMessage,
)


def expire_locks(queue: Queue, now_ms: int) -> None:
    for stored in list(queue.messages):
        if stored.locked_until_ms is not None and stored.locked_until_ms <= now_ms:
            _failed_delivery(queue, stored, now_ms)
    for session_id, lock in list(queue.session_locks.items()):
        if lock.locked_until_ms <= now_ms:
            del queue.session_locks[session_id]


def next_available(queue: Queue, session_id: str | None, now_ms: int) -> StoredMessage | None:
    """The oldest message not locked (of the given session, on a session entity)."""
    expire_locks(queue, now_ms)
    for stored in queue.messages:
        if stored.lock_token is not None:
            continue
        if queue.options.requires_session and stored.session_id != session_id:
            continue
        return stored
    return None


def lock_message(queue: Queue, stored: StoredMessage, owner: object, now_ms: int) -> uuid.UUID:
    stored.lock_token = uuid.uuid4()
    stored.locked_until_ms = now_ms + int(queue.options.lock_duration_s * 1000)
    stored.owner = owner
    return stored.lock_token


def remove(queue: Queue, stored: StoredMessage) -> None:
    queue.messages.remove(stored)


def complete(queue: Queue, token: uuid.UUID) -> None:
    remove(queue, queue.locked(token))


def abandon(queue: Queue, token: uuid.UUID, now_ms: int) -> None:
    _failed_delivery(queue, queue.locked(token), now_ms)


def release(queue: Queue, token: uuid.UUID) -> None:
    """Released: never delivered as far as the receiver is concerned, so the count stays."""
    _unlock(queue.locked(token))


def dead_letter(queue: Queue, token: uuid.UUID, reason: str | None, description: str | None, now_ms: int) -> None:
    move_to_dead_letters(queue, queue.locked(token), reason, description, now_ms)


def renew(queue: Queue, token: uuid.UUID, now_ms: int) -> int:
    expire_locks(queue, now_ms)
    stored = queue.locked(token)
    stored.locked_until_ms = now_ms + int(queue.options.lock_duration_s * 1000)
    return stored.locked_until_ms


def release_owner(queue: Queue, owner: object, now_ms: int) -> None:
    """A session receiver went away: its session and the messages it held locked become free."""
    for session_id, lock in list(queue.session_locks.items()):
        if lock.owner == owner:
            del queue.session_locks[session_id]
            for stored in list(queue.messages):
                if stored.owner == owner and stored.lock_token is not None:
                    _failed_delivery(queue, stored, now_ms)


def move_to_dead_letters(
    queue: Queue, stored: StoredMessage, reason: str | None, description: str | None, now_ms: int
) -> None:
    remove(queue, stored)
    target = queue.dead_letters
    if target is None:  # a dead-letter queue has no dead-letter queue of its own: drop, as Service Bus
        return
    message = Message()
    message.decode(stored.message.encode())
    properties = dict(message.properties or {})
    if reason is not None:
        properties["DeadLetterReason"] = reason
    if description is not None:
        properties["DeadLetterErrorDescription"] = description
    message.properties = properties
    _unlock(stored)
    target.messages.append(StoredMessage(message, stored.sequence_number, stored.enqueued_at_ms, stored.delivery_count))


def lock_session(queue: Queue, session_id: str | None, owner: object, now_ms: int) -> str:
    """Lock the named session, or (session_id None) the first free session holding messages."""
    expire_locks(queue, now_ms)
    if session_id is None:
        free = [s for s in queue.sessions_with_messages() if s not in queue.session_locks]
        if not free:
            raise SessionCannotBeLocked("no unlocked session with messages")
        session_id = free[0]
    elif session_id in queue.session_locks and queue.session_locks[session_id].owner != owner:
        raise SessionCannotBeLocked(f"session {session_id!r} is locked by another receiver")
    queue.session_locks[session_id] = SessionLock(owner, now_ms + int(queue.options.lock_duration_s * 1000))
    return session_id


def renew_session(queue: Queue, session_id: str, owner: object | None, now_ms: int) -> int:
    expire_locks(queue, now_ms)
    lock = queue.session_locks.get(session_id)
    if lock is None or (owner is not None and lock.owner != owner):
        raise LockLost(f"session {session_id!r}")
    lock.locked_until_ms = now_ms + int(queue.options.lock_duration_s * 1000)
    return lock.locked_until_ms


def _failed_delivery(queue: Queue, stored: StoredMessage, now_ms: int) -> None:
    stored.delivery_count += 1
    _unlock(stored)
    limit = queue.options.max_delivery_count
    if stored.delivery_count >= limit:
        description = f"Message could not be consumed after {limit} delivery attempts."
        move_to_dead_letters(queue, stored, MAX_DELIVERY_COUNT_REASON, description, now_ms)


def _unlock(stored: StoredMessage) -> None:
    stored.lock_token = None
    stored.locked_until_ms = None
    stored.owner = None


__all__ = ["LockLost", "SessionCannotBeLocked"]
