"""The in-memory telemetry the CLI runs on: counters add up, and spans are kept only as the latest ones, so that
a long deployment (several spans per item) does not grow memory with every item."""

from __future__ import annotations

import pytest

from fabctl.adapters.telemetry.memory import KEPT_SPANS, InMemoryTelemetry


def test_only_the_latest_spans_are_kept_in_order() -> None:
    telemetry = InMemoryTelemetry()
    for index in range(KEPT_SPANS + 10):
        with telemetry.span("deploy.item", index=index):
            pass

    assert len(telemetry.spans) == KEPT_SPANS
    assert [span.attributes["index"] for span in telemetry.spans] == list(range(10, KEPT_SPANS + 10))


def test_a_span_records_the_error_that_ended_it_and_lets_it_through() -> None:
    telemetry = InMemoryTelemetry()
    with pytest.raises(KeyError), telemetry.span("deploy.item", item="Load.Notebook"):
        raise KeyError("boom")

    assert telemetry.spans[-1].error == "KeyError"
    assert telemetry.spans[-1].attributes == {"item": "Load.Notebook"}


def test_counters_add_up() -> None:
    telemetry = InMemoryTelemetry()
    telemetry.count("fabctl.items_deployed")
    telemetry.count("fabctl.items_deployed", 2)

    assert telemetry.counters["fabctl.items_deployed"] == 3
