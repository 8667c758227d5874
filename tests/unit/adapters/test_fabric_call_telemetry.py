"""Each Fabric HTTP exchange is a client span (method, URL with its query values redacted, status code, resend
count), a 429 is counted as throttled, and the seconds a call waited for Retry-After are measured. The
HTTP client talks to a scripted server on 127.0.0.1; time is a stepping clock, so nothing really waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from opentelemetry.trace import SpanKind
from otel_capture import captured
from scripted_server import ScriptedServer, scripted_servers
from stepping_clock import SteppingClock

from fabctl.adapters.fabric.http.transport import FabricHttpClient


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    yield from scripted_servers()


def test_a_throttled_call_is_two_client_spans_one_throttle_count_and_the_seconds_waited(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([(429, {"Retry-After": "7"}, {"errorCode": "TooManyRequests"}), (200, {}, {"value": []})])
    clock, capture = SteppingClock(), captured()
    client = FabricHttpClient(server.url, sleep=clock.sleep, clock=clock, telemetry=capture.telemetry)
    try:
        client.request("GET", "workspaces", params={"continuationToken": "secret-token-value"})
    finally:
        client.close()

    spans = capture.spans()
    assert [(s.name, s.kind) for s in spans] == [("GET", SpanKind.CLIENT)] * 2
    assert [s.attributes["http.response.status_code"] for s in spans] == [429, 200]
    assert [s.attributes["http.request.resend_count"] for s in spans] == [0, 1]
    assert {s.attributes["url.full"] for s in spans} == {f"{server.url}/workspaces?continuationToken=REDACTED"}
    assert "secret-token-value" not in repr([dict(s.attributes or {}) for s in spans])
    assert capture.total("fabctl.fabric.throttled") == 1
    [waited] = [p for p in capture.points() if p.metric == "fabctl.fabric.throttle.wait"]
    assert (waited.value, waited.unit) == (7.0, "s")  # the stepping clock moved exactly by Retry-After


def test_a_call_not_answered_is_a_failed_span_naming_the_error_type(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([])
    server.stop()  # nothing listens there now: the connection is refused
    clock, capture = SteppingClock(), captured()
    client = FabricHttpClient(server.url, sleep=clock.sleep, clock=clock, telemetry=capture.telemetry)
    try:
        with pytest.raises(Exception) as failed:
            client.request("GET", "workspaces")
    finally:
        client.close()

    spans = capture.spans()
    assert spans and all(s.attributes["error.type"] == "ConnectError" for s in spans)
    assert "http.response.status_code" not in spans[0].attributes
    assert type(failed.value).__name__ == "FabricRequestNotSent"
