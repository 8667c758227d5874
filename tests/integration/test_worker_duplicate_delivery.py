"""One approval message held by two workers at once (as when its lock lapsed and the broker gave it to a
second worker while the first still worked on it): one approval, one deployment, both settle it.

Each `fabctl worker` process has a broker double of its own holding the same message (same
message_id), and both share the state store: SQLite in one folder, or Azure Table on Azurite, where
`racing_commits` holds each worker's first commit until the other's has been sent, so both commit
on reads made before either did. The Fabric is the emulator, which both reach over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure_state import azurite  # noqa: F401 (a fixture: one Azurite for the module)
from azurite_process import RunningAzurite
from deploy_process import environment, fabctl, write_source
from emulator_process import RunningEmulator, configure
from held_commits import racing_commits
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from shared_azure_state import SharedAzureState
from worker_process import QUEUE, WorkerProcess, command, message, send

ITEMS = [(f"Job {n}", "Jobs", "", "v1") for n in range(3)]
CONFIG = 'environments:\n  dev:\n    workspace: "Twice (dev)"\n  test:\n    workspace: "Twice (test)"\n'
BOB = "bob@contoso.com"


@pytest.mark.parametrize("store", ["sqlite", "azure"])
def test_an_approval_held_by_two_workers_at_once_approves_and_deploys_once(
    store: str,
    fresh_emulator: RunningEmulator,
    azurite: RunningAzurite,  # noqa: F811 (the fixture imported above)
    servicebus_broker_factory,  # noqa: F811
    tmp_path: Path,
) -> None:
    shared = SharedAzureState.fresh(azurite)
    state = shared.settings() if store == "azure" else {"FABCTL_STATE_DIR": str(tmp_path / "state")}
    base = environment(FABCTL_FABRIC_URL=fresh_emulator.url, **state)
    write_source(tmp_path / "src", "Twice (dev)", ITEMS)
    (tmp_path / "src" / "workspace-config.yaml").write_text(CONFIG)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    assert fabctl(tmp_path, "deploy", "src", "--env", "dev", env=base).returncode == 0
    requested = fabctl(tmp_path, "promote", "request", "src", "--from", "dev", "--user", "alice", "-o", "json",
                       env=base)  # fmt: skip
    assert requested.returncode == 0, requested.stderr
    request_id = json.loads(requested.stdout)["id"]
    brokers = [servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True)}) for _ in range(2)]
    approval = command("ApprovePromotion", request_id=request_id, comment="once")
    for broker in brokers:
        send(broker.connection_string(), message(approval, "approve-1", BOB, session="twice"))

    with racing_commits(azurite.table_url) as endpoints:
        workers = []
        for broker, endpoint in zip(brokers, endpoints, strict=True):
            racing = shared.settings(endpoint) if store == "azure" else state
            env = environment(FABCTL_FABRIC_URL=fresh_emulator.url, **racing)
            env["FABCTL_SERVICEBUS_CONNECTION_STRING"] = broker.connection_string()
            workers.append(WorkerProcess(tmp_path, env, "--max-messages", "1", "--idle-exit", "60"))
        try:
            finished = [w.finish() for w in workers]
        finally:
            for w in workers:
                w.kill()

    assert [f.code for f in finished] == [0, 0], [f.stderr for f in finished]
    assert [f.summary["settled"] for f in finished] == [{"complete": 1}, {"complete": 1}]
    shown = fabctl(tmp_path, "promote", "show", request_id, "-o", "json", env=base)
    promotion = json.loads(shown.stdout)
    assert promotion["state"] == "succeeded", promotion
    assert [a["approver"] for a in promotion["approvals"]] == [BOB]
    assert [e["action"] for e in promotion["audit"]] == ["requested", "approved", "deploying", "succeeded"]
    listed = json.loads(fabctl(tmp_path, "tx", "list", "-o", "json", env=base).stdout)
    assert sorted((t["environment"], t["state"]) for t in listed) == [("dev", "committed"), ("test", "committed")]
    assert all(b.messages(QUEUE) == [] and b.dead_letters(QUEUE) == [] for b in brokers)
