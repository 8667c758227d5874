"""Two `fabctl worker` processes (two session slots each) sharing one queue, Azure state on Azurite and
the emulator as Fabric: 40 command messages over 4 workspaces (sessions), each sent twice, every
effect exactly once, and every event on the events topic once, in order per session.

Per workspace: deploy to dev, open two promotion requests; then approve the first and cancel the
second. What passes here is verified against the broker double (a protocol double), not Service Bus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from azure_state import azurite  # noqa: F401 (a fixture: one Azurite for the module)
from azurite_process import RunningAzurite
from deploy_process import environment, fabctl, write_source
from emulator_process import RunningEmulator, configure
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import TopicSpec
from shared_azure_state import SharedAzureState
from worker_process import QUEUE, Finished, WorkerProcess, command, message, send

WORKSPACES = ("North", "South", "East", "West")
CI, ALICE, BOB = "ci@contoso.com", "alice@contoso.com", "bob@contoso.com"
TOPIC, SUBSCRIPTION = "fabctl-events", "fabctl-events/subscriptions/all"
# Duplicate detection on, as docs/azure.md asks: relays racing in four slots may send one event twice.
EVENTS = {TOPIC: TopicSpec({"all": EntityOptions()}, EntityOptions(duplicate_detection_window_s=600))}


def source(root: Path, name: str) -> str:
    folder = root / name
    write_source(folder, f"{name} (dev)", [(f"Job {n}", "Jobs", "", "v1") for n in range(2)])
    config = f'environments:\n  dev:\n    workspace: "{name} (dev)"\n  test:\n    workspace: "{name} (test)"\n'
    (folder / "workspace-config.yaml").write_text(config)
    return str(folder)


def run_both(root: Path, env: dict[str, str]) -> list[Finished]:
    workers = [WorkerProcess(root / f"w{i}", env, "--concurrency", "2", "--idle-exit", "5", "--sweep-every", "0")
               for i in range(2)]  # fmt: skip
    try:
        return [w.finish() for w in workers]
    finally:
        for w in workers:
            w.kill()


def promotions(root: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    listed = fabctl(root, "promote", "list", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    found: list[dict[str, Any]] = json.loads(listed.stdout)
    return found


def test_forty_commands_over_four_workspaces_through_two_workers_each_act_once(
    fresh_emulator: RunningEmulator,
    azurite: RunningAzurite,  # noqa: F811 (the fixture imported above)
    servicebus_broker_factory,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = SharedAzureState.fresh(azurite)
    broker = servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True)}, topics=EVENTS)
    env = environment(FABCTL_FABRIC_URL=fresh_emulator.url, **store.settings())
    env["FABCTL_SERVICEBUS_CONNECTION_STRING"] = broker.connection_string()
    env["FABCTL_EVENT_BUS"] = "servicebus"
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    for i in range(2):
        (tmp_path / f"w{i}").mkdir()
    sources = {name: source(tmp_path / "src", name) for name in WORKSPACES}
    opening = []
    for name, folder in sources.items():
        deploy = command("ExecuteDeployment", source_dir=folder, environment="dev")
        opening += [message(deploy, f"{name}-deploy", CI, session=name)]
        for n in (1, 2):
            request = command("RequestPromotion", source_dir=folder, source_environment="dev", note=f"{name} {n}")
            opening += [message(request, f"{name}-request-{n}", ALICE, session=name)]
    send(broker.connection_string(), *[m for m in opening for _ in range(2)])  # each twice, in order

    first = run_both(tmp_path, env)

    opened = promotions(tmp_path, env)
    assert sorted(p["note"] for p in opened) == sorted(f"{name} {n}" for name in WORKSPACES for n in (1, 2))
    closing = []
    for request in opened:
        name, n = request["note"].split()
        if n == "1":
            body = command("ApprovePromotion", request_id=request["id"])
            closing.append(message(body, f"{name}-approve", BOB, session=name))
        else:
            closing.append(message(command("CancelPromotion", request_id=request["id"]), f"{name}-cancel", ALICE,
                                   session=name))  # fmt: skip
    send(broker.connection_string(), *[m for m in closing for _ in range(2)])

    second = run_both(tmp_path, env)

    assert [f.code for f in first + second] == [0, 0, 0, 0], [f.stderr for f in first + second]
    assert sum(f.summary["settled"].get("complete", 0) for f in first + second) == 40
    assert all(set(f.summary["settled"]) <= {"complete"} for f in first + second)
    final = {p["note"]: p for p in promotions(tmp_path, env)}
    assert len(final) == 8
    for name in WORKSPACES:
        approved, cancelled = final[f"{name} 1"], final[f"{name} 2"]
        assert (approved["state"], len(approved["approvals"])) == ("succeeded", 1), approved
        assert cancelled["state"] == "cancelled", cancelled
    listed = json.loads(fabctl(tmp_path, "tx", "list", "-o", "json", env=env).stdout)
    deployed = sorted((t["environment"], t["state"]) for t in listed)
    assert deployed == [("dev", "committed")] * 4 + [("test", "committed")] * 4
    assert broker.messages(QUEUE) == [] and broker.dead_letters(QUEUE) == []
    assert_every_event_published_once_in_order(tmp_path, env, broker.messages(SUBSCRIPTION))


def assert_every_event_published_once_in_order(root: Path, env: dict[str, str], held: list[Any]) -> None:
    listed = fabctl(root, "events", "list", "--limit", "1000", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    outbox = json.loads(listed.stdout)
    assert outbox and all(e["published_at"] for e in outbox), [e for e in outbox if not e["published_at"]]
    sent = [m.message_id for m in held]
    assert len(sent) == len(set(sent)), "an event reached the subscription twice"
    assert set(sent) == {e["id"] for e in outbox}
    order = {e["id"]: n for n, e in enumerate(outbox)}  # the store's order: the one a relay publishes in
    for session in {m.session_id for m in held}:
        arrived = [m.message_id for m in held if m.session_id == session]
        assert arrived == sorted(arrived, key=order.__getitem__), f"session {session} out of order"
