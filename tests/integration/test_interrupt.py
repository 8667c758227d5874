"""Ctrl-C (SIGINT) and SIGTERM stop a real `fabctl deploy` cleanly: no new write starts, the writes
in flight settle, then the transaction is rolled back (protected environment) or left `failed` (which
`tx recover` completes or undoes, and which blocks no later deployment); the lease is released and
the process exits 130 (SIGINT) or 143 (SIGTERM) with one line naming the transaction.

A second Ctrl-C while settling stops at once: the transaction is left unfinished, exactly as after
a crash, and since its process is gone `tx recover` takes over without `--force`.
The signals are sent once the journal shows the deployment writing, never after a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from deploy_process import environment, fabctl, is_writing, start, wait_for_journal, workspace, write_source
from emulator_process import RunningEmulator, configure, requests_log
from state_journal import journal

V0 = [(f"Job {n}", "Jobs", "", "v0") for n in range(10)]
V1 = [(f"Job {n}", "Jobs", "described", "v1") for n in range(10)]


def leases(cwd: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(f"file:{cwd / '.fabctl' / 'state.db'}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT workspace_id, holder FROM leases").fetchall()
    finally:
        connection.close()


def prepared(emulator: RunningEmulator, tmp_path: Path, *, protected: bool = False) -> dict[str, object]:
    """v0 deployed to workspace Target; v1 ready beside it; the emulator slowed down; Target's snapshot."""
    write_source(tmp_path / "v0", "Target", V0, protected=protected)
    write_source(tmp_path / "v1", "Target", V1, protected=protected)
    configure(emulator, latency_ms=0, lro_ms=0)
    assert fabctl(tmp_path, "deploy", "v0", "--env", "dev", "--fabric-url", emulator.url).returncode == 0
    configure(emulator, latency_ms=40, lro_ms=60)
    return workspace(emulator, "Target")


def deploy_v1(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    return start(tmp_path, "deploy", "v1", "--env", "dev", "--fabric-url", url, "--workers", "2")


def v1_items(emulator: RunningEmulator) -> int:
    return sum("v1" in json.dumps(i["definition"]) for i in workspace(emulator, "Target")["items"])


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_deploy_stops_it_and_leaves_a_recoverable_transaction_without_a_lease(
    fresh_emulator: RunningEmulator, tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    prepared(fresh_emulator, tmp_path)
    process = deploy_v1(tmp_path, fresh_emulator.url)
    tx = wait_for_journal(tmp_path, is_writing("v1", 2), process)

    os.kill(process.pid, sent)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == code, stderr
    final = stderr.strip().splitlines()[-1]
    assert f"transaction {tx['id']}" in final and sent.name in final, stderr
    [journaled] = [t for t in journal(tmp_path) if t["id"] == tx["id"]]
    assert journaled["state"] == "failed" and sent.name in journaled["reason"]
    assert all(s["outcome"] in ("succeeded", "failed") for s in journaled["steps"])  # everything in flight settled
    assert leases(tmp_path) == []
    assert 0 < v1_items(fresh_emulator) < len(V1)  # it stopped part-way: no new write started
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    resumed = fabctl(tmp_path, "tx", "recover", tx["id"], "--resume")  # recoverable, no --force
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert v1_items(fresh_emulator) == len(V1)


def test_sigterm_on_a_protected_environment_rolls_back_and_exits_143(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    before = prepared(fresh_emulator, tmp_path, protected=True)
    process = deploy_v1(tmp_path, fresh_emulator.url)
    tx = wait_for_journal(tmp_path, is_writing("v1", 2), process)

    os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 143, stderr
    assert f"transaction {tx['id']}" in stderr.strip().splitlines()[-1]
    assert [t["state"] for t in journal(tmp_path) if t["id"] == tx["id"]] == ["rolled_back"]
    assert leases(tmp_path) == []
    assert workspace(fresh_emulator, "Target") == before


def test_a_second_sigint_while_settling_stops_at_once_and_leaves_the_transaction_to_recover(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    before = prepared(fresh_emulator, tmp_path)
    configure(fresh_emulator, latency_ms=40, lro_ms=3000)  # writes in flight take seconds to settle
    process = deploy_v1(tmp_path, fresh_emulator.url)
    tx = wait_for_journal(tmp_path, is_writing("v1", 1), process)

    os.kill(process.pid, signal.SIGINT)
    assert process.stderr is not None
    notice = process.stderr.readline()  # the first interrupt is acknowledged: settling now
    os.kill(process.pid, signal.SIGINT)
    _, rest = process.communicate(timeout=60)

    assert "SIGINT" in notice and "again" in notice, notice + rest
    assert process.returncode == 130, rest
    assert f"transaction {tx['id']}" in rest.strip().splitlines()[-1] and "tx recover" in rest
    assert [t["state"] for t in journal(tmp_path) if t["id"] == tx["id"]] == ["started"]
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", tx["id"], "--rollback", env=environment())  # no --force
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert workspace(fresh_emulator, "Target") == before


def test_a_signal_while_planning_stops_at_once_and_nothing_is_written(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    prepared(fresh_emulator, tmp_path)
    configure(fresh_emulator, latency_ms=1500)  # every call of the plan takes long
    asked = requests_log(fresh_emulator)["total"]
    process = deploy_v1(tmp_path, fresh_emulator.url)
    deadline = time.monotonic() + 60
    while requests_log(fresh_emulator)["total"] == asked:  # the plan has begun reading the workspace
        assert time.monotonic() < deadline and process.poll() is None, "the deploy never called the emulator"
        time.sleep(0.01)

    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["error: interrupted by SIGINT before any write: nothing changed"]
    assert [t["source_dir"] for t in journal(tmp_path)] == [str((tmp_path / "v0").resolve())]  # v0's only
