"""`fabctl deploy` with FABCTL_TELEMETRY=otlp, against the emulator over HTTP: a local OTLP/HTTP receiver gets
the command's, the deployment's, the items' and the Fabric calls' spans in one trace, the metrics, and log
records correlated with the trace, all before the CLI has exited."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

from cli import EXAMPLE, run, run_json
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


def test_tx_revert_counts_a_rollback_whose_trigger_is_revert(tmp_path: Path, emulator: RunningEmulator) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    run_json(tmp_path, "deploy", "sales", "--env", "dev", "--fabric-url", emulator.url)
    notebook = tmp_path / "sales" / "Notebooks" / "Load Sales.Notebook" / "notebook-content.py"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\nprint('v2')\n", encoding="utf-8")
    second = run_json(tmp_path, "deploy", "sales", "--env", "dev", "--fabric-url", emulator.url)
    with running_otlp_receiver() as receiver:
        env = {"FABCTL_TELEMETRY": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "NO_PROXY": "127.0.0.1"}
        reverted = run_json(tmp_path, "tx", "revert", second["transaction_id"], "--fabric-url", emulator.url, env=env)

    assert reverted["succeeded"] is True
    assert not receiver.refused
    rollbacks = [p for m in receiver.metrics if m.name == "fabctl.rollbacks" for p in m.points]
    assert rollbacks == [{"environment": "dev", "trigger": "revert"}]


def test_console_telemetry_goes_to_stderr_and_leaves_the_json_on_stdout_whole(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")

    done = run(tmp_path, "deploy", "sales", "--env", "dev", "--output", "json", env={"FABCTL_TELEMETRY": "console"})

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "committed"
    assert '"name": "fabctl.deploy"' in done.stderr and '"name": "fabctl.deployments"' in done.stderr


def test_an_unreachable_collector_costs_the_deploy_nothing_but_one_line_on_stderr(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    with socket.socket() as probe:  # a port nothing listens on once this is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "FABCTL_TELEMETRY": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "NO_PROXY": "127.0.0.1",
    }

    done = run(tmp_path, "deploy", "sales", "--env", "dev", "--output", "json", env=env)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "committed"
    assert done.stderr.splitlines() == [
        "fabctl: telemetry could not be exported (otlp); this run's traces, metrics or logs may be missing "
        "(check the exporter's endpoint settings)"
    ]
