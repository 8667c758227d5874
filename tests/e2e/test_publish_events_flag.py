"""The `publish_events` feature flag through the real CLI, publishing to the Service Bus broker double (the REAL
azure-servicebus SDK in the CLI process; tests/support/servicebus_broker in the test process).

Off (FABCTL_FEATURE_PUBLISH_EVENTS=false), a deployment's events are in the outbox, marked withheld, and nothing
of that deployment reaches the topic, not even through a later `fabctl events relay`; on, they are sent.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from cli import COMMAND
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker
from test_cli_events_servicebus import ALL, SOURCE, TOPICS, succeeded


def fabctl(cwd: Path, broker: RunningBroker, flag: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI publishing to the broker, with FABCTL_FEATURE_PUBLISH_EVENTS set to `flag`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env |= {
        "NO_COLOR": "1",
        "FABCTL_USER": "dora",
        "FABCTL_EVENT_BUS": "servicebus",
        "FABCTL_SERVICEBUS_CONNECTION_STRING": broker.connection_string(),
        "FABCTL_FEATURE_PUBLISH_EVENTS": flag,
    }
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def events_of(cwd: Path, broker: RunningBroker, transaction_id: str) -> list[dict[str, Any]]:
    listed = json.loads(succeeded(fabctl(cwd, broker, "true", "events", "-o", "json")).stdout)
    return [e for e in listed if e["payload"].get("transaction_id") == transaction_id]


def test_publish_events_off_keeps_the_deployments_events_in_the_outbox_and_sends_none(
    workspace: Path,
    servicebus_broker_factory,  # noqa: F811
) -> None:
    cwd = workspace.parent
    broker = servicebus_broker_factory(topics=TOPICS)

    plan = succeeded(fabctl(cwd, broker, "false", "plan", SOURCE, "--env", "dev"))
    deployed = succeeded(fabctl(cwd, broker, "false", "deploy", SOURCE, "--env", "dev", "-o", "json"))
    quiet = json.loads(deployed.stdout)["transaction_id"]
    relayed = succeeded(fabctl(cwd, broker, "false", "events", "relay"))
    shown = json.loads(succeeded(fabctl(cwd, broker, "false", "tx", "show", quiet, "-o", "json")).stdout)

    assert "publish_events off" in plan.stdout, plan.stdout
    assert shown["features"]["publish_events"] is False  # recorded on the transaction
    recorded = events_of(cwd, broker, quiet)
    assert recorded[0]["type"] == "DeploymentStarted" and recorded[-1]["type"] == "TransactionCommitted"
    assert {(e["withheld"], e["published_at"]) for e in recorded} == {(True, None)}
    assert broker.messages(ALL) == []  # not at the deploy, not at the relay after it
    assert "Traceback" not in deployed.stderr + relayed.stdout + relayed.stderr

    notebook = workspace / "Notebooks" / "Load Sales.Notebook" / "notebook-content.py"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\nprint('rows loaded')\n", encoding="utf-8")
    again = succeeded(fabctl(cwd, broker, "true", "deploy", SOURCE, "--env", "dev", "-o", "json"))
    loud = json.loads(again.stdout)["transaction_id"]

    sent = broker.messages(ALL)
    sent_events = events_of(cwd, broker, loud)
    assert sent_events[0]["type"] == "DeploymentStarted" and sent_events[-1]["type"] == "TransactionCommitted"
    assert {e["withheld"] for e in sent_events} == {False}
    assert [m.message_id for m in sent] == [e["id"] for e in sent_events]  # this deployment's, and only these
