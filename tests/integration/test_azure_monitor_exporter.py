"""FABCTL_TELEMETRY=azure-monitor: the real Azure Monitor exporter, chosen by bootstrap from the settings and
APPLICATIONINSIGHTS_CONNECTION_STRING, sends a deployment's spans, metrics and logs to a local HTTPS ingestion
endpoint (trusted through a throwaway CA only), as Application Insights stores them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from appinsights_ingestion import INSTRUMENTATION_KEY, Ingestion, running_ingestion
from certificates import TestAuthority

from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"


@pytest.fixture
def ingestion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ingestion]:
    authority = TestAuthority(tmp_path)
    with running_ingestion(authority.server_certificate("ingestion", "127.0.0.1")) as served:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.ca_file))  # azure-core's requests transport
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        # The exporter's reports on itself (to Microsoft; to the resource): not what this test reads.
        monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
        monkeypatch.setenv("APPLICATIONINSIGHTS_SDKSTATS_DISABLED", "true")
        monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", served.connection_string)
        yield served


def test_a_deployment_reaches_application_insights_as_dependencies_metrics_and_traces(
    ingestion: Ingestion, tmp_path: Path
) -> None:
    app = bootstrap(Settings(state_store="memory", fabric="memory", telemetry="azure-monitor", state_dir=tmp_path))
    with app.telemetry.span("fabctl.test"):  # a log record made in a trace is stored with it
        result = app.bus.handle(ExecuteDeployment("m-1", str(EXAMPLE), "dev", "ci"))
        logging.getLogger("fabctl.test").warning("deployed %s", result.transaction_id)
    app.telemetry.shutdown()  # type: ignore[attr-defined]  # what the CLI's exit does

    assert result.succeeded and not ingestion.refused
    assert {e["iKey"] for e in ingestion.envelopes} == {INSTRUMENTATION_KEY}
    dependencies = ingestion.of_type("RemoteDependencyData")
    names = [d["name"] for d in dependencies]
    assert (
        names.count("fabctl.command") == 1
        and names.count("fabctl.test") == 1
        and names.count("fabctl.deploy") == 1
        and "fabctl.item" in names
    )
    traces = {e["tags"]["ai.operation.id"] for e in ingestion.envelopes if e["data"]["baseType"] != "MetricData"}
    assert len(traces) == 1  # one operation: the log record too is in the deployment's trace
    metrics = {m["metrics"][0]["name"] for m in ingestion.of_type("MetricData")}
    assert {"fabctl.deployments", "fabctl.deployment.duration", "fabctl.item.writes"} <= metrics
    [message] = [m for m in ingestion.of_type("MessageData") if m["message"].startswith("deployed ")]
    assert message["message"] == f"deployed {result.transaction_id}"


def test_azure_monitor_without_a_connection_string_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)

    with pytest.raises(InvalidConfiguration) as refused:
        bootstrap(Settings(state_store="memory", fabric="memory", telemetry="azure-monitor", state_dir=tmp_path))

    assert refused.value.field == "APPLICATIONINSIGHTS_CONNECTION_STRING"
    assert "is not set" in str(refused.value)


def test_a_connection_string_without_a_key_is_refused_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = "IngestionEndpoint=https://example.invalid/;Secretish=canary-7f3a"
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", secret)

    with pytest.raises(InvalidConfiguration) as refused:
        bootstrap(Settings(state_store="memory", fabric="memory", telemetry="azure-monitor", state_dir=tmp_path))

    assert "has no InstrumentationKey" in str(refused.value)
    assert "canary-7f3a" not in str(refused.value) and "example.invalid" not in str(refused.value)


def test_applications_of_one_process_share_one_exporting_telemetry(ingestion: Ingestion, tmp_path: Path) -> None:
    settings = Settings(state_store="memory", fabric="memory", telemetry="azure-monitor", state_dir=tmp_path)
    first, second = bootstrap(settings), bootstrap(settings)  # a worker's slots, a Function app's threads
    try:
        assert first.telemetry is second.telemetry
        handlers = [h for h in logging.getLogger().handlers if type(h).__name__ == "LoggingHandler"]
        assert len(handlers) == 1  # each log record is exported once
    finally:
        first.telemetry.shutdown()  # type: ignore[attr-defined]

    third = bootstrap(settings)
    try:
        assert third.telemetry is not first.telemetry  # a shut-down one is not handed out again
    finally:
        third.telemetry.shutdown()  # type: ignore[attr-defined]
