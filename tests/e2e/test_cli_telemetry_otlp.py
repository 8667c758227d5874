"""`fabctl deploy` with FABCTL_TELEMETRY=otlp, against the emulator over HTTP: a local OTLP/HTTP receiver gets
the command's, the deployment's, the items' and the Fabric calls' spans in one trace, the metrics, and log
records correlated with the trace, all before the CLI has exited."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli import EXAMPLE, run_json
from emulator_process import RunningEmulator
from otlp_receiver import running_otlp_receiver

CLIENT = 3  # opentelemetry.proto Span.SpanKind.SPAN_KIND_CLIENT


def test_a_deploy_exports_one_trace_and_its_metrics_over_otlp(tmp_path: Path, emulator: RunningEmulator) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    with running_otlp_receiver() as receiver:
        env = {"FABCTL_TELEMETRY": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "NO_PROXY": "127.0.0.1"}
        result = run_json(tmp_path, "deploy", "sales", "--env", "dev", "--fabric-url", emulator.url, env=env)

    assert result["state"] == "committed"
    assert not receiver.refused
    names = [s.name for s in receiver.spans]
    assert names.count("fabctl.command") == 1 and names.count("fabctl.deploy") == 1
    items = [s for s in receiver.spans if s.name == "fabctl.item"]
    written = {o["item"] for o in result["outcomes"] if o["status"] == "done" and o["action"] != "create_folder"}
    assert {s.attributes["item"] for s in items} == written
    http = [s for s in receiver.spans if s.kind == CLIENT]
    assert http and {s.attributes["http.request.method"] for s in http} >= {"GET", "POST"}
    assert all(s.attributes["url.full"].startswith(emulator.url) for s in http)
    assert {s.attributes["http.response.status_code"] for s in http} <= {200, 201, 202}
    assert {s.trace_id for s in receiver.spans} == {receiver.spans[0].trace_id}
    assert {s.service for s in receiver.spans} == {"fabctl"}
    # Item writes (their Fabric calls) are children of their item's span, on the deployment's worker threads.
    item_ids = {s.span_id for s in items}
    assert any(s.parent_span_id in item_ids for s in http)
    assert {"fabctl.deployments", "fabctl.deployment.duration", "fabctl.item.writes"} <= receiver.metric_names()
    [duration] = [m for m in receiver.metrics if m.name == "fabctl.deployment.duration"]
    assert duration.unit == "s" and duration.points[0]["outcome"] == "committed"
