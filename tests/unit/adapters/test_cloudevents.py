"""The CloudEvents mapping of outbox messages, read back with the real SDK type (azure-core's CloudEvent)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from azure.core.messaging import CloudEvent

from fabctl.adapters.servicebus.cloudevents import (
    event_name,
    from_cloudevent,
    session_key,
    to_cloudevent,
)
from fabctl.application.ports import OutboxMessage
from fabctl.domain import events

AT = datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def outbox(event: events.Event, message_id: str = "out-1") -> OutboxMessage:
    return OutboxMessage(message_id, type(event).__name__, dataclasses.asdict(event), AT)


def test_an_item_deployed_event_is_a_cloudevent_the_sdk_reads_with_every_attribute() -> None:
    event = events.ItemDeployed("tx-1", "Load Sales.Notebook", "create", "nb-1", "zoë", workspace_id="ws-1")

    document = to_cloudevent(outbox(event))
    read = CloudEvent.from_dict(json.loads(json.dumps(document)))  # as a subscriber gets it off the wire

    assert read.specversion == "1.0"
    assert read.id == "out-1"
    assert read.source == "/fabctl"
    assert read.type == "fabctl.ItemDeployed.v1"
    assert read.subject == "workspaces/ws-1/items/Load Sales.Notebook"
    assert read.time == datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)  # the same instant
    assert read.datacontenttype == "application/json"
    assert read.data == {
        "transaction_id": "tx-1",
        "item": "Load Sales.Notebook",
        "action": "create",
        "item_id": "nb-1",
        "actor": "zoë",
        "workspace_id": "ws-1",
    }
    assert not read.extensions  # nothing beyond the 1.0 attributes


def test_the_time_goes_in_utc_so_the_sdk_reader_gets_the_instant_right() -> None:
    # azure-core 1.41 reads "+02:00" as UTC (it keeps one digit of the hours): sent as-is, the time
    # would be two hours off for every Azure subscriber. Sent in UTC it is exact.
    document = to_cloudevent(outbox(events.PromotionCancelled("p-1", "bob")))

    assert document["time"] == "2026-03-01T12:30:15.123456Z"
    assert CloudEvent.from_dict(document).time == AT


@pytest.mark.parametrize(
    ("event", "subject", "key"),
    [
        (events.PromotionRequested("p-1", "dev", "test", "alice", ("A.Notebook",), 1), "promotions/p-1", "p-1"),
        (events.PromotionDeploying("p-1", "tx-1"), "promotions/p-1", "p-1"),
        (events.DeploymentStarted("tx-1", "ws-1", "test"), "workspaces/ws-1", "ws-1"),
        (events.DeploymentFailed("tx-1", "capacity paused", workspace_id="ws-1"), "workspaces/ws-1", "ws-1"),
        (events.RollbackIncomplete("tx-1", "ws-1", (2, 3)), "workspaces/ws-1", "ws-1"),
    ],
)
def test_the_subject_and_the_session_key_name_the_aggregate(event: events.Event, subject: str, key: str) -> None:
    message = outbox(event)

    assert to_cloudevent(message)["subject"] == subject
    assert session_key(message.payload) == key


def test_a_document_reads_back_as_the_outbox_message_it_was_made_from() -> None:
    sent = outbox(events.RollbackIncomplete("tx-1", "ws-1", (2, 3)), "out-9")

    received = from_cloudevent(json.loads(json.dumps(to_cloudevent(sent))))

    assert (received.id, received.type, received.created_at) == ("out-9", "RollbackIncomplete", AT)
    assert received.payload == {
        "transaction_id": "tx-1",
        "workspace_id": "ws-1",
        "steps_not_undone": [2, 3],
        "actor": "",
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"id": None}, "'id'"),
        ({"specversion": "0.3"}, "specversion '0.3'"),
        ({"type": "com.other.Thing"}, "com.other.Thing"),
        ({"time": "yesterday"}, "'time' 'yesterday'"),
        ({"data": "text"}, "'data'"),
    ],
)
def test_a_document_fabctl_did_not_send_is_refused_naming_the_attribute(change: dict[str, object], named: str) -> None:
    document = to_cloudevent(outbox(events.PromotionCancelled("p-1", "bob"))) | change

    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(".", r"\.")):
        from_cloudevent(document)


def test_a_naive_time_is_refused_rather_than_guessed() -> None:
    message = dataclasses.replace(outbox(events.PromotionCancelled("p-1", "bob")), created_at=datetime(2026, 3, 1))

    with pytest.raises(ValueError, match="time zone"):
        to_cloudevent(message)


def test_a_type_name_reads_back_from_its_versioned_type() -> None:
    assert event_name("fabctl.PromotionSucceeded.v1") == "PromotionSucceeded"
    with pytest.raises(ValueError):
        event_name("fabctl.PromotionSucceeded")
