"""A worker SIGKILLed while deploying an approved promotion: the next delivery finishes it from the journal.

Worker A takes the approval and starts deploying; it is killed once the journal shows it writing.
Worker B gets the approval again (A's session lock lapsed: the broker double's lock lasts 2 s), finds
it handled (the approval was stored), and, since this delivery is a redelivery, finishes the
transaction the message started: stranded (its holder is gone on this host), it is resumed from the
journal. B runs no sweep, so only the redelivery can have done it: every item is in the target once,
the promotion ends succeeded. SQLite state under the shared folder, the emulator as Fabric, and a
protocol double of Service Bus (tests/support/servicebus_broker), not Service Bus itself.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from deploy_process import content, environment, fabctl, is_writing, wait_for_journal, workspace
from emulator_process import RunningEmulator, configure
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from worker_process import QUEUE, WorkerProcess, command, message, promotion_requested, send

JOBS = 10
BOB = "bob@contoso.com"


def promotion(cwd: Path, env: dict[str, str], request_id: str) -> dict[str, Any]:
    shown = fabctl(cwd, "promote", "show", request_id, "-o", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


def test_a_worker_killed_mid_deployment_is_finished_from_the_journal_by_the_next_delivery(
    fresh_emulator: RunningEmulator,
    servicebus_broker_factory,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = environment(FABCTL_FABRIC_URL=fresh_emulator.url)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    request_id = promotion_requested(tmp_path, env, "Kill", JOBS)
    broker = servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True, lock_duration_s=2.0)})
    send(broker.connection_string(), message(command("ApprovePromotion", request_id=request_id), "approve-1", BOB))
    worker_env = env | {"FABCTL_SERVICEBUS_CONNECTION_STRING": broker.connection_string()}
    configure(fresh_emulator, latency_ms=150)  # slow enough that the kill lands mid-deployment

    first = WorkerProcess(tmp_path, worker_env, "--sweep-every", "0")
    try:
        started = wait_for_journal(tmp_path, is_writing("src", 2), first.process)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(30)
    finally:
        first.kill()
    [left] = [t for t in fabctl_journal(tmp_path, env) if t["id"] == started["id"]]
    assert left["state"] == "started"  # the kill left it unfinished
    assert promotion(tmp_path, env, request_id)["state"] == "deploying"

    configure(fresh_emulator, latency_ms=0)
    second = WorkerProcess(tmp_path, worker_env, "--sweep-every", "0")  # no sweep: the redelivery must do it
    try:
        second.wait_until(lambda log: "message approve-1: complete" in log, "completing the redelivered approval")
        second.signal(signal.SIGTERM)
        finished = second.finish()
    finally:
        second.kill()

    assert finished.code == 0, finished.stderr
    done = promotion(tmp_path, env, request_id)
    assert done["state"] == "succeeded", done
    assert [a["approver"] for a in done["approvals"]] == [BOB]
    to_test = [t for t in fabctl_journal(tmp_path, env) if t["environment"] == "test"]
    assert to_test[0]["id"] == started["id"] and to_test[-1]["state"] == "committed", to_test
    assert (
        content(workspace(fresh_emulator, "Kill (test)"))["items"]
        == content(workspace(fresh_emulator, "Kill (dev)"))["items"]
    )
    assert broker.messages(QUEUE) == [] and broker.dead_letters(QUEUE) == []


def fabctl_journal(cwd: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    listed = fabctl(cwd, "tx", "list", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    found: list[dict[str, Any]] = json.loads(listed.stdout)
    return found
