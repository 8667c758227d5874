"""SIGTERM while the worker deploys an approved promotion: no new write starts, the deployment winds down
and frees its workspace, the message is settled, and the worker exits 0. SQLite state under the folder,
the emulator as Fabric, the broker double (a protocol double, not Service Bus)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from deploy_process import environment, fabctl, is_writing, wait_for_journal
from emulator_process import RunningEmulator, configure
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from worker_process import QUEUE, WorkerProcess, command, message, promotion_requested, send

JOBS = 10


def test_sigterm_mid_deployment_winds_it_down_frees_the_workspace_and_exits_zero(
    fresh_emulator: RunningEmulator,
    servicebus_broker_factory,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = environment(FABCTL_FABRIC_URL=fresh_emulator.url)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    request_id = promotion_requested(tmp_path, env, "Term", JOBS)
    broker = servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True)})
    send(broker.connection_string(), message(command("ApprovePromotion", request_id=request_id), "approve-1", "bob"))
    configure(fresh_emulator, latency_ms=150)  # slow enough that the signal lands mid-deployment

    worker = WorkerProcess(tmp_path, env | {"FABCTL_SERVICEBUS_CONNECTION_STRING": broker.connection_string()})
    try:
        started = wait_for_journal(tmp_path, is_writing("src", 1), worker.process)
        worker.signal(signal.SIGTERM)
        finished = worker.finish()
    finally:
        worker.kill()

    assert finished.code == 0, finished.stderr
    assert finished.summary == {"stopped": "SIGTERM", "handled": 1, "settled": {"complete": 1}}
    listed = json.loads(fabctl(tmp_path, "tx", "list", "-o", "json", env=env).stdout)
    [ended] = [t for t in listed if t["id"] == started["id"]]
    assert ended["state"] in ("failed", "rolled_back"), ended  # wound down, not left started
    shown = json.loads(fabctl(tmp_path, "promote", "show", request_id, "-o", "json", env=env).stdout)
    assert shown["state"] == "failed", shown
    configure(fresh_emulator, latency_ms=0)
    again = fabctl(tmp_path, "deploy", "src", "--env", "test", env=env)  # the workspace is free again
    assert again.returncode == 0, again.stderr
    assert broker.messages(QUEUE) == []
