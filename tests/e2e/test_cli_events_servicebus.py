"""The real `fabctl` CLI publishing its events to Service Bus: the REAL azure-servicebus SDK in the CLI process,
against the protocol-level broker double (tests/support/servicebus_broker) in the test process. What holds
here is verified against the double only, not against Service Bus.

A deploy sends its events to the topic as CloudEvents; with the broker gone a deploy still succeeds and its
events wait in the outbox; `fabctl events relay` fails with one line while the broker is away, and sends
them, in order, once it is back.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from azure.core.messaging import CloudEvent
from cli import COMMAND
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker, TopicSpec

SOURCE = "sales-workspace"  # the `workspace` fixture's folder, relative to its parent
TOPIC = "fabctl-events"
ALL = f"{TOPIC}/subscriptions/all"
TOPICS = {TOPIC: TopicSpec({"all": EntityOptions(), "ordered": EntityOptions(requires_session=True)})}


def fabctl(cwd: Path, broker: RunningBroker, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env |= {
        "NO_COLOR": "1",
        "FABCTL_USER": "dora",
        "FABCTL_EVENT_BUS": "servicebus",
        "FABCTL_SERVICEBUS_CONNECTION_STRING": broker.connection_string(),
    }
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def succeeded(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def outbox(cwd: Path, broker: RunningBroker) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(succeeded(fabctl(cwd, broker, "events", "-o", "json")).stdout)
    return listed


def test_events_go_to_the_topic_and_wait_in_the_outbox_while_the_broker_is_away(
    workspace: Path,
    servicebus_broker_factory,  # noqa: F811
) -> None:
    cwd = workspace.parent
    broker = servicebus_broker_factory(topics=TOPICS)

    deployed = json.loads(succeeded(fabctl(cwd, broker, "deploy", SOURCE, "--env", "dev", "-o", "json")).stdout)

    first = outbox(cwd, broker)
    held = broker.messages(ALL)
    assert [m.message_id for m in held] == [e["id"] for e in first]  # every event, once, in outbox order
    assert all(e["published_at"] for e in first)
    workspace_id = first[0]["payload"]["workspace_id"]
    assert {m.session_id for m in held} == {workspace_id}
    read = [CloudEvent.from_dict(json.loads(m.body or b"")) for m in held]
    assert [c.type for c in read] == [f"fabctl.{e['type']}.v1" for e in first]
    assert [c.data for c in read] == [e["payload"] for e in first]
    assert read[-1].data["transaction_id"] == deployed["transaction_id"]

    # The broker goes away. A change deployed now is committed; its events stay pending.
    broker.stop()
    notebook = workspace / "Notebooks" / "Load Sales.Notebook" / "notebook-content.py"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\nprint('rows loaded')\n", encoding="utf-8")
    again = fabctl(cwd, broker, "deploy", SOURCE, "--env", "dev", "-o", "json")
    second = json.loads(succeeded(again).stdout)
    assert second["state"] == "committed"
    assert "events not published" in again.stderr and "Traceback" not in again.stderr
    waiting = [e for e in outbox(cwd, broker) if not e["published_at"]]
    assert waiting and {e["payload"]["transaction_id"] for e in waiting} == {second["transaction_id"]}
    assert (waiting[0]["type"], waiting[-1]["type"]) == ("DeploymentStarted", "TransactionCommitted")

    refused = fabctl(cwd, broker, "events", "relay")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    [line] = refused.stderr.splitlines()
    assert line.startswith(f"error: could not publish to Service Bus topic '{TOPIC}'"), line
    assert "SharedAccessKey" not in line
    assert [e["id"] for e in outbox(cwd, broker) if not e["published_at"]] == [e["id"] for e in waiting]

    # The broker is back (a new one: the double keeps nothing across a restart).
    back = servicebus_broker_factory(topics=TOPICS)
    relayed = json.loads(succeeded(fabctl(cwd, back, "events", "relay", "-o", "json")).stdout)

    assert relayed == {"relayed": len(waiting), "pending": 0, "event_bus": "servicebus"}
    assert [m.message_id for m in back.messages(ALL)] == [e["id"] for e in waiting]
    assert [m.message_id for m in back.messages(f"{TOPIC}/subscriptions/ordered")] == [e["id"] for e in waiting]
    assert [e for e in outbox(cwd, back) if not e["published_at"]] == []
    assert succeeded(fabctl(cwd, back, "events", "relay")).stdout.strip() == (
        f"Relayed 0 event(s) to Service Bus topic '{TOPIC}'; 0 pending."
    )


def test_a_malformed_connection_string_stops_a_deploy_before_it_changes_anything(workspace: Path) -> None:
    cwd = workspace.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env |= {
        "NO_COLOR": "1",
        "FABCTL_EVENT_BUS": "servicebus",
        "FABCTL_SERVICEBUS_CONNECTION_STRING": "SharedAccessKeyName=k;SharedAccessKey=bm90LWEta2V5",
    }

    result = subprocess.run(
        [*COMMAND, "deploy", SOURCE, "--env", "dev"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert "servicebus_connection_string" in line and "FABCTL_SERVICEBUS_CONNECTION_STRING" in line, line
    assert "bm90LWEta2V5" not in result.stdout + result.stderr
    env.pop("FABCTL_EVENT_BUS")
    env.pop("FABCTL_SERVICEBUS_CONNECTION_STRING")
    listed = subprocess.run([*COMMAND, "tx", "list", "-o", "json"], cwd=cwd, env=env, capture_output=True, text=True)
    assert json.loads(listed.stdout) == []
