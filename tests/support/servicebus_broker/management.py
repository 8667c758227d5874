"""The `<entity>/$management` node: the request/response operations the SDK sends.

Modelled: renew-lock, renew-session-lock, get-session-state, set-session-state, peek-message,
get-message-sessions. Any other operation gets status 501 (the SDK raises), never silence.
Replies carry `statusCode` / `statusDescription` and `correlation_id == request message_id`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from proton import UNDESCRIBED, Array, Data, Message

from servicebus_broker import deliveries
from servicebus_broker.codec import outgoing
from servicebus_broker.entities import LockLost, Queue

Operation = Callable[[Queue, dict[str, Any], int], dict[str, Any]]


def reply_to(request: Message, queue: Queue, now_ms: int) -> Message:
    operation = str((request.properties or {}).get("operation", ""))
    handler = OPERATIONS.get(operation)
    if handler is None:
        return _reply(request, 501, f"operation {operation!r} is not modelled by this broker", None)
    body = request.body if isinstance(request.body, dict) else {}
    try:
        result = handler(queue, {str(k): v for k, v in body.items()}, now_ms)
    except LockLost as e:
        return _reply(request, 410, f"lock lost: {e}", None, "com.microsoft:message-lock-lost")
    except (KeyError, TypeError, ValueError) as e:
        return _reply(request, 400, f"bad request: {e}", None, "com.microsoft:argument-error")
    return _reply(request, 200, "OK", result)


def not_found(request: Message, path: str) -> Message:
    """The answer to a request on the management node of an entity the namespace lacks."""
    return _reply(request, 404, f"The messaging entity '{path}' could not be found.", None, "amqp:not-found")


def _reply(
    request: Message, status: int, description: str, body: dict[str, Any] | None, condition: str | None = None
) -> Message:
    properties: dict[str, Any] = {"statusCode": status, "statusDescription": description}
    if condition is not None:
        properties["errorCondition"] = condition
    return Message(correlation_id=request.id, properties=properties, body=body)


def _elements(value: Any) -> list[Any]:
    return list(value.elements) if isinstance(value, Array) else list(value)


def _timestamps(values: list[int]) -> Array:
    return Array(UNDESCRIBED, Data.TIMESTAMP, *values)


def _renew_lock(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    tokens = [t if isinstance(t, uuid.UUID) else uuid.UUID(str(t)) for t in _elements(body["lock-tokens"])]
    return {"expirations": _timestamps([deliveries.renew(queue, t, now_ms) for t in tokens])}


def _renew_session_lock(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    return {"expiration": deliveries.renew_session(queue, str(body["session-id"]), None, now_ms)}


def _get_session_state(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    return {"session-state": queue.session_states.get(str(body["session-id"]))}


def _set_session_state(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    session_id, state = str(body["session-id"]), body.get("session-state")
    if state is None:
        queue.session_states.pop(session_id, None)
    else:
        queue.session_states[session_id] = bytes(state)
    return {}


def _peek(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    start, count = int(body.get("from-sequence-number", 0)), int(body.get("message-count", 1))
    session_id = body.get("session-id")
    candidates = [
        m
        for m in queue.messages
        if m.sequence_number >= start and (session_id is None or m.session_id == str(session_id))
    ]
    return {"messages": [{"message": outgoing(m, m.locked_until_ms)} for m in candidates[:count]]}


def _message_sessions(queue: Queue, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
    return {"skip": 0, "sessions-ids": queue.sessions_with_messages()}


OPERATIONS: dict[str, Operation] = {
    "com.microsoft:renew-lock": _renew_lock,
    "com.microsoft:renew-session-lock": _renew_session_lock,
    "com.microsoft:get-session-state": _get_session_state,
    "com.microsoft:set-session-state": _set_session_state,
    "com.microsoft:peek-message": _peek,
    "com.microsoft:get-message-sessions": _message_sessions,
}
