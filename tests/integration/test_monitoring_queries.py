"""The workbooks and alert rules in monitoring/ are valid templates whose queries name only telemetry fabctl
emits: every metric a `customMetrics` query names, every span a `dependencies` or `requests` query names, and
every dimension they read, is taken from the queries and looked up in what OpenTelemetry got (the SDK's
in-memory exporter and reader) after a real deployment (throttled), a promotion approved by a command
message, and a deployment rolled back, all against the emulator over HTTP."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from emulator_process import RunningEmulator, configure
from otel_capture import Captured, captured

from fabctl.domain.commands import ExecuteDeployment, RequestPromotion
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.messages.handling import handle_command_message
from fabctl.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sales-workspace"
WORKBOOKS = sorted((ROOT / "monitoring" / "workbooks").glob("*.json"))
ALERTS = sorted((ROOT / "monitoring" / "alerts").glob("*.json"))
NAME = re.compile(r'"(fabctl\.[a-z0-9_.]+)"')
DIMENSION = re.compile(r'customDimensions\["([^"]+)"\]')
TABLE = re.compile(r"^\s*(customMetrics|dependencies|requests|traces)\b")
SPAN_TABLES = {"dependencies", "requests"}


def queries() -> list[tuple[str, str]]:
    """(where, query) for every KQL query of every workbook and alert rule."""
    found = []
    for path in WORKBOOKS:
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            if item["type"] == 3:
                found.append((f"{path.name}: {item['name']}", item["content"]["query"]))
    for path in ALERTS:
        for resource in json.loads(path.read_text(encoding="utf-8"))["resources"]:
            for n, criterion in enumerate(resource["properties"]["criteria"]["allOf"]):
                found.append((f"{path.name}: {resource['name']}[{n}]", criterion["query"]))
    return found


def test_the_templates_are_workbooks_and_scheduled_query_rules() -> None:
    assert [p.name for p in WORKBOOKS] == ["deployment-health.json", "promotion-metrics.json"]
    assert {p.stem for p in ALERTS} == {"failed-deployments", "rollbacks", "throttling", "promotions-waiting"}
    for path in WORKBOOKS:
        workbook = json.loads(path.read_text(encoding="utf-8"))
        assert workbook["version"] == "Notebook/1.0", path
        kql = [i["content"] for i in workbook["items"] if i["type"] == 3]
        assert kql and all(c["version"] == "KqlItem/1.0" and c["query"].strip() for c in kql), path
        assert len({i["name"] for i in workbook["items"]}) == len(workbook["items"]), f"{path}: names repeat"
    for path in ALERTS:
        template = json.loads(path.read_text(encoding="utf-8"))
        [rule] = template["resources"]
        assert rule["type"] == "Microsoft.Insights/scheduledQueryRules", path
        assert rule["properties"]["scopes"] == ["[parameters('applicationInsightsId')]"], path
        for criterion in rule["properties"]["criteria"]["allOf"]:
            column = criterion["metricMeasureColumn"]
            assert re.search(rf"\b{column}\s*=", criterion["query"]), f"{path}: no column {column}"


def test_every_query_reads_one_table_of_what_application_insights_keeps() -> None:
    for where, query in queries():
        assert TABLE.match(query), f"{where}: starts with no Application Insights table"


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory, emulator: RunningEmulator) -> Captured:
    """What a throttled deployment, an approved promotion and a rolled-back deployment told OpenTelemetry."""
    workdir = tmp_path_factory.mktemp("monitoring")
    source = workdir / "sales"
    shutil.copytree(EXAMPLE, source)
    capture = captured()
    settings = Settings(state_store="memory", fabric_url=emulator.url, state_dir=workdir / ".fabctl", user="ci")
    app = bootstrap(settings, telemetry=capture.telemetry)
    try:
        configure(emulator, lro_ms=20, throttle_rpm=15, throttle_window_s=1.0)
        assert app.bus.handle(ExecuteDeployment("deploy-1", str(source), "dev", "ci")).succeeded
        configure(emulator, throttle_rpm=0)
        opened = app.bus.handle(RequestPromotion("request-1", str(source), "dev", "alice"))
        body = json.dumps({"command": "ApprovePromotion", "version": 1, "data": {"request_id": opened.id}})
        assert handle_command_message(app, body.encode(), "approve-1", {"fabctl-actor": "bob"}).verdict.value == (
            "complete"
        )
        # Deleted behind fabctl's back, the report's name stays reserved (the session emulator's 10 minutes, as
        # in Fabric): writing it again fails, and the deployment rolls back what it wrote.
        workspace = app.gateway.find_workspace("Sales (dev)")
        assert workspace is not None
        [report] = [i for i in app.gateway.list_items(workspace.id) if i.key.type == "Report"]
        app.gateway.delete_item(workspace.id, report.id)
        failed = app.bus.handle(ExecuteDeployment("deploy-2", str(source), "dev", "ci", on_error="rollback"))
        assert failed.state == "rolled_back", failed
    finally:
        configure(emulator, fault_rate=0.0, throttle_rpm=0, throttle_window_s=60.0, lro_ms=1000)
        app.gateway.close()  # type: ignore[attr-defined]
    return capture


def test_every_name_and_dimension_a_query_reads_is_emitted(emitted: Captured) -> None:
    metrics = {p.metric for p in emitted.points()}
    spans = {s.name for s in emitted.spans()}
    dimensions = {k for p in emitted.points() for k in p.attributes} | {
        k for s in emitted.spans() for k in (s.attributes or {})
    }
    assert {"fabctl.fabric.throttled", "fabctl.rollbacks", "fabctl.promotion.approval_wait"} <= metrics  # the runs
    named_any = False
    for where, query in queries():
        table = TABLE.match(query).group(1)  # type: ignore[union-attr]
        names = set(NAME.findall(query))
        named_any = named_any or bool(names)
        known = metrics if table == "customMetrics" else spans if table in SPAN_TABLES else set()
        if table == "traces":
            assert not names, f"{where}: a log query names {names}"
        assert names <= known, f"{where}: {sorted(names - known)} never emitted as {table}"
        unread = set(DIMENSION.findall(query)) - dimensions
        assert not unread, f"{where}: dimensions {sorted(unread)} are on no span or data point"
    assert named_any


def test_every_metric_emitted_is_named_under_fabctl_and_has_a_unit(emitted: Captured) -> None:
    units = {p.metric: p.unit for p in emitted.points()}

    assert units and all(name.startswith("fabctl.") for name in units)
    assert [name for name, unit in units.items() if unit in ("", "1")] == []
    durations = [name for name in units if name.endswith((".duration", ".wait", ".lead_time", ".approval_wait"))]
    assert durations and {units[name] for name in durations} == {"s"}


def test_dimension_values_the_queries_compare_with_are_ones_fabctl_gives(emitted: Captured) -> None:
    values: dict[str, set[Any]] = {}
    for point in emitted.points():
        for key, value in point.attributes.items():
            values.setdefault(key, set()).add(value)
    for span in emitted.spans():
        for key, value in (span.attributes or {}).items():
            values.setdefault(key, set()).add(value)
    compared = re.compile(r'tostring\(customDimensions\["([^"]+)"\]\)\s*[!=]=\s*"([^"]+)"')
    for where, query in queries():
        for key, value in compared.findall(query):
            assert value in values.get(key, set()), f"{where}: {key} is never {value!r}"
