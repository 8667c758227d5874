"""A promotion driven only by command messages through `fabctl worker` (the real CLI in a process),
with the broker double, SQLite state and the local Fabric (the defaults): deployed to dev, requested,
approved with every message delivered twice, and deployed to test exactly once.

What passes here is verified against the broker double (a protocol double), not Service Bus.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli import COMMAND, EXAMPLE
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker
from worker_process import QUEUE, command, environment, message, run_worker, send

CI, ALICE, BOB = "ci@contoso.com", "alice@contoso.com", "bob@contoso.com"


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True)})


def fabctl_json(cwd: Path, env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([*COMMAND, *args, "-o", "json"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_promotion_requested_and_approved_by_messages_deploys_once(tmp_path: Path, broker: RunningBroker) -> None:
    source = tmp_path / "sales-workspace"
    shutil.copytree(EXAMPLE, source)
    env = environment(tmp_path / ".fabctl", broker.connection_string())
    deploy = command("ExecuteDeployment", source_dir=str(source), environment="dev")
    request = command("RequestPromotion", source_dir=str(source), source_environment="dev", note="by message")
    twice = [message(deploy, "deploy-dev", CI), message(request, "request-1", ALICE)] * 2
    send(broker.connection_string(), *twice)

    first = run_worker(tmp_path, env, "--max-messages", "4", "--idle-exit", "60")

    assert first.code == 0, first.stderr
    assert first.summary["settled"] == {"complete": 4}
    [opened] = fabctl_json(tmp_path, env, "promote", "list")
    assert (opened["state"], opened["requested_by"]) == ("requested", ALICE)
    approval = command("ApprovePromotion", request_id=opened["id"], comment="ship it")
    send(broker.connection_string(), *[message(approval, "approve-1", BOB)] * 2)

    second = run_worker(tmp_path, env, "--max-messages", "2", "--idle-exit", "60")

    assert second.code == 0, second.stderr
    assert second.summary["settled"] == {"complete": 2}
    done = fabctl_json(tmp_path, env, "promote", "show", opened["id"])
    assert done["state"] == "succeeded", done
    assert [a["approver"] for a in done["approvals"]] == [BOB]
    listed = fabctl_json(tmp_path, env, "tx", "list")
    assert sorted((t["environment"], t["state"]) for t in listed) == [("dev", "committed"), ("test", "committed")]
    events = [e["type"] for e in fabctl_json(tmp_path, env, "events")]
    assert events.count("PromotionRequested") == 1 and events.count("PromotionSucceeded") == 1
    assert broker.messages(QUEUE) == [] and broker.dead_letters(QUEUE) == []
