"""An outbox message as a CloudEvents 1.0 structured JSON document, and back: the body fabctl puts on Service Bus.

Pure mapping, no SDK. The shape is what `azure.core.messaging.CloudEvent.from_dict` reads (and Event Grid
speaks); docs/events.md lists every type with its subject, session key and data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fabctl.application.ports import OutboxMessage

SPEC_VERSION = "1.0"
# One producer, whichever environment an event concerns: the environment is in the data and in the
# message's application properties, where a subscription filter can select it (docs/adr: CloudEvents).
SOURCE = "/fabctl"
DATA_CONTENT_TYPE = "application/json"
CONTENT_TYPE = "application/cloudevents+json"  # the message's content type: a structured-mode CloudEvent
TYPE_PREFIX = "fabctl."
# Every event's data is at version 1; one that changes incompatibly gets v2 (a new type subscribers opt into).
VERSION = 1


def cloudevent_type(event_name: str) -> str:
    """`ItemDeployed` -> `fabctl.ItemDeployed.v1`."""
    return f"{TYPE_PREFIX}{event_name}.v{VERSION}"


def event_name(cloudevent_type_: str) -> str:
    """`fabctl.ItemDeployed.v1` -> `ItemDeployed`; ValueError for a type fabctl does not send."""
    name, dot, version = cloudevent_type_.removeprefix(TYPE_PREFIX).rpartition(".")
    if not cloudevent_type_.startswith(TYPE_PREFIX) or not dot or not name or not version.startswith("v"):
        raise ValueError(f"'{cloudevent_type_[:80]}' is not a fabctl event type (fabctl.<EventName>.v<N>)")
    return name


def session_key(payload: dict[str, Any]) -> str | None:
    """The ordered stream an event belongs to: its promotion, else its workspace (every fabctl event has one)."""
    for key in ("request_id", "workspace_id"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def subject(payload: dict[str, Any]) -> str | None:
    """What the event is about, as a path: `promotions/<id>`, `workspaces/<id>[/items/<item>]`."""
    request_id, workspace_id, item = payload.get("request_id"), payload.get("workspace_id"), payload.get("item")
    if isinstance(request_id, str) and request_id:
        return f"promotions/{request_id}"
    if isinstance(workspace_id, str) and workspace_id:
        if isinstance(item, str) and item:
            return f"workspaces/{workspace_id}/items/{item}"
        return f"workspaces/{workspace_id}"
    return None


def rfc3339(at: datetime) -> str:
    """Always UTC with `Z`: azure-core's CloudEvent reader (1.41) misreads offsets such as +02:00 as UTC."""
    if at.tzinfo is None:
        raise ValueError("an event time must carry its time zone")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_cloudevent(message: OutboxMessage) -> dict[str, Any]:
    """The structured JSON document (as a dict) for `message`: its id, type, time and payload as data."""
    document: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": message.id,
        "source": SOURCE,
        "type": cloudevent_type(message.type),
    }
    about = subject(message.payload)
    if about is not None:
        document["subject"] = about
    document["time"] = rfc3339(message.created_at)
    document["datacontenttype"] = DATA_CONTENT_TYPE
    document["data"] = message.payload
    return document


def from_cloudevent(document: dict[str, Any]) -> OutboxMessage:
    """The outbox message a subscriber received; ValueError naming the attribute a document lacks."""
    for attribute in ("specversion", "id", "type", "time"):
        if not isinstance(document.get(attribute), str) or not document[attribute]:
            raise ValueError(f"not a fabctl CloudEvent: '{attribute}' is missing or not text")
    if document["specversion"] != SPEC_VERSION:
        raise ValueError(f"not a CloudEvents {SPEC_VERSION} document: specversion '{document['specversion'][:20]}'")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ValueError("not a fabctl CloudEvent: 'data' is not a JSON object")
    try:
        created_at = datetime.fromisoformat(document["time"])
    except ValueError:
        raise ValueError(f"not a fabctl CloudEvent: 'time' '{document['time'][:40]}' is not RFC 3339") from None
    return OutboxMessage(document["id"], event_name(document["type"]), data, created_at)
