"""The Function app's command queue trigger continues the trace its message's sender started: with
FABCTL_TELEMETRY=otlp (as an app setting), the handled message, its command, the deployment and the item
writes reach a local OTLP/HTTP receiver in the sender's trace."""

from __future__ import annotations

from typing import Any

import pytest
from function_calls import command, function, service_bus_message
from otlp_receiver import running_otlp_receiver

from fabctl.entrypoints.functions import application

from .conftest import Site

SENDER_TRACE, SENDER_SPAN = "5bf92f3577b34da6a3ce929d0e0e4736", "10f067aa0ba902b7"


def test_a_deployment_message_is_traced_in_its_senders_trace(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_otlp_receiver() as receiver:
        monkeypatch.setenv("FABCTL_TELEMETRY", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        body = command("ExecuteDeployment", source_dir=site.source, environment="dev")
        sent = service_bus_message(
            body, "deploy-dev", "ci@contoso.com", traceparent=f"00-{SENDER_TRACE}-{SENDER_SPAN}-01"
        )
        try:
            function("command_message")(sent)
        finally:
            telemetry: Any = application.current().telemetry
            telemetry.shutdown()  # what the host's exit does (atexit)

    names = [s.name for s in receiver.spans]
    assert {"fabctl.message", "fabctl.command", "fabctl.deploy", "fabctl.item"} <= set(names)
    assert {s.trace_id for s in receiver.spans} == {SENDER_TRACE}
    [handled] = [s for s in receiver.spans if s.name == "fabctl.message"]
    assert handled.parent_span_id == SENDER_SPAN and handled.attributes["messaging.message.id"] == "deploy-dev"
