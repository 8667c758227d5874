"""A topic's `$management` node: schedule-message and cancel-scheduled-message, as the SDK's
`ServiceBusSender.schedule_messages` / `cancel_scheduled_messages` send them.

A scheduled message is HELD, never delivered: scheduled delivery is not modelled (the broker has no
clock for it). Cancelling takes it away; `Topic.scheduled` is what a test inspects. Any other
operation on a topic's management node gets 501, never silence.
"""

from __future__ import annotations

from typing import Any

from proton import UNDESCRIBED, Array, Data, Message

from servicebus_broker.entities import Topic

SCHEDULE = "com.microsoft:schedule-message"
CANCEL = "com.microsoft:cancel-scheduled-message"


def reply_to(request: Message, topic: Topic, next_sequence: Any) -> Message:
    operation = str((request.properties or {}).get("operation", ""))
    body = request.body if isinstance(request.body, dict) else {}
    try:
        if operation == SCHEDULE:
            numbers = []
            for entry in body["messages"]:
                number = next_sequence()
                topic.scheduled[number] = bytes(entry["message"])
                numbers.append(number)
            return _reply(request, 200, {"sequence-numbers": Array(UNDESCRIBED, Data.LONG, *numbers)})
        if operation == CANCEL:
            for number in _elements(body["sequence-numbers"]):
                topic.scheduled.pop(int(number), None)
            return _reply(request, 200, {})
    except (KeyError, TypeError, ValueError) as e:
        return _reply(request, 400, None, f"bad request: {e}")
    return _reply(request, 501, None, f"operation {operation!r} on a topic is not modelled by this broker")


def _elements(value: Any) -> list[Any]:
    return list(value.elements) if isinstance(value, Array) else list(value)


def _reply(request: Message, status: int, body: dict[str, Any] | None, description: str = "OK") -> Message:
    properties: dict[str, Any] = {"statusCode": status, "statusDescription": description}
    return Message(correlation_id=request.id, properties=properties, body=body)
