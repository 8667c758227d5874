"""The Service Bus message for an outbox message, and the batches a relay sends them in.

Each message: `message_id` = the event's id (the topic's duplicate detection drops a re-send), `session_id`
= the event's promotion or workspace (one ordered stream per aggregate), `subject` = the CloudEvent type,
application properties for subscription filters, and the CloudEvent as the body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from azure.servicebus import ServiceBusMessage, ServiceBusMessageBatch
from azure.servicebus.exceptions import MessageSizeExceededError

from fabctl.adapters.servicebus.cloudevents import CONTENT_TYPE, session_key, to_cloudevent
from fabctl.application.ports import OutboxMessage

# Properties a subscription rule can filter on, taken from the event's data when it has them.
PROPERTIES = ("environment", "workspace_id", "request_id")
# The W3C trace context's headers, as OpenTelemetry's messaging conventions carry them on a message.
TRACE_PROPERTIES = ("traceparent", "tracestate")


class TooLarge(ValueError):
    """One message is larger than an empty batch of the entity takes."""


def service_bus_message(message: OutboxMessage, trace: Mapping[str, str] | None = None) -> ServiceBusMessage:
    """`trace`: the publisher's trace context (W3C `traceparent`, `tracestate`), carried as application
    properties, so whoever handles the message continues the trace."""
    document = to_cloudevent(message)
    properties = application_properties(message.payload)
    properties.update({name: value for name, value in (trace or {}).items() if name in TRACE_PROPERTIES})
    return ServiceBusMessage(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        message_id=message.id,
        session_id=session_key(message.payload),
        subject=document["type"],
        content_type=CONTENT_TYPE,
        application_properties=properties,
    )


def application_properties(payload: dict[str, Any]) -> dict[str | bytes, Any]:
    found: dict[str | bytes, Any] = {}
    # A promotion's environment is the one it deploys to.
    environment = payload.get("environment") or payload.get("target_environment")
    values = (environment, payload.get("workspace_id"), payload.get("request_id"))
    for name, value in zip(PROPERTIES, values, strict=True):
        if isinstance(value, str) and value:
            found[name] = value
    return found


def batches(
    messages: Sequence[OutboxMessage],
    new_batch: Callable[[], ServiceBusMessageBatch],
    trace: Mapping[str, str] | None = None,
) -> Iterator[tuple[ServiceBusMessageBatch, int]]:
    """Batches in the messages' order, each of one session (a partitioned topic takes a batch for one
    partition only), each as full as the entity allows; with how many messages each holds."""
    batch, count, session = new_batch(), 0, None
    for message in messages:
        outgoing = service_bus_message(message, trace)
        if count and (outgoing.session_id != session or not _added(batch, outgoing)):
            yield batch, count
            batch, count = new_batch(), 0
        if not count and not _added(batch, outgoing):
            raise TooLarge(f"event {message.id} ({message.type}) is larger than the topic accepts in one message")
        count += 1
        session = outgoing.session_id
    if count:
        yield batch, count


def _added(batch: ServiceBusMessageBatch, message: ServiceBusMessage) -> bool:
    try:
        batch.add_message(message)
    except MessageSizeExceededError:
        return False
    return True
