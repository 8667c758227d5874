"""A promotion followed from its approval message to the item writes: `fabctl worker` (the real CLI in a
process) with FABCTL_TELEMETRY=otlp takes an ApprovePromotion message whose sender put its `traceparent` on
it, and every span it exports (the message, the commands, the deployment, each item write) is in the
sender's trace. Verified against the broker double and a local OTLP/HTTP receiver."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli import COMMAND, EXAMPLE
from otlp_receiver import running_otlp_receiver
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker
from worker_process import QUEUE, command, environment, message, run_worker, send

CI, ALICE, BOB = "ci@contoso.com", "alice@contoso.com", "bob@contoso.com"
SENDER_TRACE, SENDER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
CONSUMER = 5  # opentelemetry.proto Span.SpanKind.SPAN_KIND_CONSUMER


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True)})


def test_the_worker_continues_the_approval_messages_trace_down_to_the_item_writes(
    tmp_path: Path, broker: RunningBroker
) -> None:
    source = tmp_path / "sales-workspace"
    shutil.copytree(EXAMPLE, source)
    env = environment(tmp_path / ".fabctl", broker.connection_string())
    deploy = command("ExecuteDeployment", source_dir=str(source), environment="dev")
    request = command("RequestPromotion", source_dir=str(source), source_environment="dev")
    send(broker.connection_string(), message(deploy, "deploy-dev", CI), message(request, "request-1", ALICE))
    assert run_worker(tmp_path, env, "--max-messages", "2", "--idle-exit", "60").code == 0
    listed = subprocess.run([*COMMAND, "promote", "list", "-o", "json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    [opened] = json.loads(listed.stdout)
    approval = message(command("ApprovePromotion", request_id=opened["id"]), "approve-1", BOB)
    approval.application_properties = {
        **(approval.application_properties or {}),
        "traceparent": f"00-{SENDER_TRACE}-{SENDER_SPAN}-01",
    }
    send(broker.connection_string(), approval)

    with running_otlp_receiver() as receiver:
        traced = env | {"FABCTL_TELEMETRY": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                        "NO_PROXY": "127.0.0.1"}  # fmt: skip
        finished = run_worker(tmp_path, traced, "--max-messages", "1", "--idle-exit", "60")

    assert finished.code == 0, finished.stderr
    assert finished.summary["settled"] == {"complete": 1}
    spans = receiver.spans
    [handled] = [s for s in spans if s.name == "fabctl.message"]
    assert (handled.kind, handled.parent_span_id, handled.attributes["settlement"]) == (
        CONSUMER,
        SENDER_SPAN,
        "complete",
    )
    commands = {s.attributes["command"] for s in spans if s.name == "fabctl.command"}
    assert {"ApprovePromotion", "DeployPromotion"} <= commands
    [deployment] = [s for s in spans if s.name == "fabctl.deploy"]
    assert deployment.attributes["environment"] == "test"
    assert len([s for s in spans if s.name == "fabctl.item"]) >= 8  # the example's items, written to test
    assert {s.trace_id for s in spans} == {SENDER_TRACE}
    assert "fabctl.promotion.lead_time" in receiver.metric_names()
