"""Plain snapshots of what the broker holds, for tests to assert on without a receiver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from proton import Message

from servicebus_broker.entities import StoredMessage


@dataclass(frozen=True)
class HeldMessage:
    body: bytes | None
    message_id: str | None
    session_id: str | None
    subject: str | None
    content_type: str | None
    application_properties: dict[str, Any]
    sequence_number: int
    delivery_count: int
    locked: bool


def snapshot(stored: StoredMessage) -> HeldMessage:
    message = stored.message
    body = message.body
    return HeldMessage(
        body=bytes(body) if isinstance(body, bytes | bytearray | memoryview) else None,
        message_id=None if message.id is None else str(message.id),
        session_id=stored.session_id,
        subject=message.subject,
        content_type=_content_type(message),
        application_properties={str(k): v for k, v in (message.properties or {}).items()},
        sequence_number=stored.sequence_number,
        delivery_count=stored.delivery_count,
        locked=stored.lock_token is not None,
    )


def _content_type(message: Message) -> str | None:
    # proton's getter turns an absent content-type into symbol("None"): the wire value is null.
    value = message.content_type
    return None if value is None or str(value) == "None" else str(value)
