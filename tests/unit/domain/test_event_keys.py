"""Every event names its aggregate, so it can be published on that aggregate's ordered stream
(a Service Bus session): a promotion event its request id, any other event its workspace id."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from fabctl.domain import events


def event_types() -> list[type[events.Event]]:
    return [
        kind
        for _, kind in inspect.getmembers(events, inspect.isclass)
        if issubclass(kind, events.Event) and not kind.__subclasses__()  # the events, not their bases
    ]


def test_every_event_has_a_promotion_or_a_workspace_key_it_must_be_given() -> None:
    kinds = event_types()
    assert len(kinds) >= 15  # the module's events were found, not an empty list

    for kind in kinds:
        fields = {f.name: f for f in dataclasses.fields(kind)}
        key = fields.get("request_id") or fields.get("workspace_id")
        assert key is not None, f"{kind.__name__} names neither its promotion nor its workspace"
        assert key.default is dataclasses.MISSING, f"{kind.__name__}.{key.name} has a default: it could be left out"


def test_a_transaction_event_without_its_workspace_cannot_be_made() -> None:
    with pytest.raises(TypeError, match="workspace_id"):
        events.ItemDeployed("tx-1", "Load.Notebook", "create", "nb-1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="workspace_id"):
        events.DeploymentFailed("tx-1", "capacity paused")  # type: ignore[call-arg]
