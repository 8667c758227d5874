"""A real `fabctl deploy` blocked in one Fabric call (a long-running create) for longer than its lease term
keeps its lease: the keeper renews it meanwhile, so `tx recover` from another runner, which would take a
lapsed lease over, is refused naming the deploy; the deploy then commits. With SQLite state (the runners
share a working directory) and with Azure state on Azurite (each runner its own); the emulator over HTTP."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from azure_state import azurite  # noqa: F401 (a fixture: one Azurite for the module)
from azurite_process import RunningAzurite
from emulator_process import RunningEmulator, configure
from shared_azure_state import SharedAzureState
from state_journal import journal
from test_concurrent_deploys import COMMAND, environment, expected_texts, notebook_texts, write_source

LEASE_SECONDS = 2  # the lease term: the one create below runs for several terms
# Every create is a long-running operation of 30 s, one Fabric call of 15 terms: the other runner must act
# while it runs, so it is long enough for a loaded machine to start that runner's process (10 s was not,
# under `-n 4`).
LRO_MS = 30_000
DEADLINE = 60.0  # bounds every wait: reached only when the code under test is wrong


@dataclass
class Runners:
    """Where the two runners run, with which settings, and the shared state as another runner reads it."""

    deployer: Path
    recoverer: Path
    settings: dict[str, str]
    journal: Callable[[], list[dict[str, Any]]]
    lease: Callable[[str], tuple[str, datetime]]  # workspace id -> (holder, until) as stored

    def start(self, cwd: Path, *args: str) -> subprocess.Popen[str]:
        env = {**environment(), **self.settings, "FABCTL_LEASE_SECONDS": str(LEASE_SECONDS)}
        return subprocess.Popen(
            [*COMMAND, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )


def sqlite_runners(tmp_path: Path) -> Runners:
    def lease(_workspace_id: str) -> tuple[str, datetime]:
        connection = sqlite3.connect(f"file:{tmp_path / '.fabctl' / 'state.db'}?mode=ro", uri=True, timeout=5)
        try:
            ((holder, until),) = connection.execute("SELECT holder, until FROM leases").fetchall()
        finally:
            connection.close()
        return holder, datetime.fromisoformat(until)

    return Runners(tmp_path, tmp_path, {}, lambda: journal(tmp_path), lease)


def azure_runners(tmp_path: Path, azurite: RunningAzurite) -> Runners:  # noqa: F811 (the fixture's value)
    store = SharedAzureState.fresh(azurite)

    def lease(workspace_id: str) -> tuple[str, datetime]:
        stored = store.lease(workspace_id)
        assert stored is not None
        return stored["Holder"], datetime.fromisoformat(stored["Until"])

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return Runners(tmp_path / "a", tmp_path / "b", store.settings(), store.journal, lease)


@pytest.fixture(params=["sqlite", "azure"])
def runners(request: pytest.FixtureRequest, tmp_path: Path) -> Runners:
    if request.param == "sqlite":
        return sqlite_runners(tmp_path)
    return azure_runners(tmp_path, request.getfixturevalue("azurite"))


def in_its_create(runners: Runners, deploy: subprocess.Popen[str]) -> dict[str, Any]:
    """The deploy's transaction once its one item's create is journaled and not yet answered."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert deploy.poll() is None, "the deploy ended before its create was under way"
        for tx in runners.journal():
            if any(s["action"] == "create" and s["outcome"] == "pending" for s in tx["steps"]):
                return tx
        time.sleep(0.02)
    raise AssertionError(f"the deploy never started its create within {DEADLINE}s")


def test_a_deploy_in_one_call_longer_than_its_lease_keeps_the_lease_and_another_runner_is_refused(
    fresh_emulator: RunningEmulator, runners: Runners
) -> None:
    url = fresh_emulator.url
    write_source(runners.deployer / "v1", "v1", notebooks=1)
    configure(fresh_emulator, lro_ms=LRO_MS)
    deploy = runners.start(runners.deployer, "deploy", "v1", "--env", "dev", "--fabric-url", url, "--output", "json")
    tx = in_its_create(runners, deploy)
    _, first_until = runners.lease(tx["workspace_id"])

    # Wait, by the wall clock the lease uses, until the lease as first taken has run out.
    deadline = time.monotonic() + DEADLINE
    while datetime.now(UTC) <= first_until:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert in_its_create(runners, deploy)["id"] == tx["id"]  # still in the same call: nothing journaled since
    holder, until = runners.lease(tx["workspace_id"])
    assert holder == tx["id"] and until > first_until  # renewed while that one call ran

    recover = runners.start(runners.recoverer, "tx", "recover", tx["id"], "--rollback", "--fabric-url", url)
    _, recover_err = recover.communicate(timeout=DEADLINE)
    deploy_out, deploy_err = deploy.communicate(timeout=DEADLINE + LRO_MS / 1000)

    assert "is committed: there is nothing to" not in recover_err, "the create ended before the other runner acted"
    assert recover.returncode == 2, recover_err
    assert f"pid {deploy.pid} on host" in recover_err and "holds the workspace's lease until" in recover_err
    assert deploy.returncode == 0, deploy_err
    assert json.loads(deploy_out)["transaction_id"] == tx["id"]
    assert [t["state"] for t in runners.journal()] == ["committed"]
    assert notebook_texts(fresh_emulator) == {"Job 0": expected_texts("v1")["Job 0"]}


def paused_outside_a_commit(process: subprocess.Popen[str], state: Path) -> None:
    """SIGSTOP `process` at a moment it holds no write lock on the state file: stopped inside a renewal's
    commit, it would lock every other runner out of the file until it resumed."""
    deadline = time.monotonic() + DEADLINE
    while True:
        os.kill(process.pid, signal.SIGSTOP)
        while Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert time.monotonic() < deadline, "the deploy never stopped"
            time.sleep(0.005)
        connection = sqlite3.connect(state, timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:  # stopped inside a commit: let it finish, stop it again
            os.kill(process.pid, signal.SIGCONT)
            assert time.monotonic() < deadline, "the deploy was always inside a commit"
        finally:
            connection.close()


def test_a_deploy_paused_past_its_lease_while_another_runner_recovers_it_writes_and_stores_nothing_more(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The deploy is paused (SIGSTOP, as a suspended runner would be) in its first create until its lease has
    run out; `tx recover --rollback` takes the lapsed lease over and settles the transaction; resumed, the
    deploy finds its lease lost: it starts no further create and leaves the recovered journal as it is."""
    runners = sqlite_runners(tmp_path)
    url = fresh_emulator.url
    write_source(tmp_path / "v1", "v1", notebooks=2)
    configure(fresh_emulator, lro_ms=LRO_MS)
    deploy = runners.start(tmp_path, "deploy", "v1", "--env", "dev", "--fabric-url", url, "--workers", "1")
    tx = in_its_create(runners, deploy)
    paused_outside_a_commit(deploy, tmp_path / ".fabctl" / "state.db")
    try:
        _, until = runners.lease(tx["workspace_id"])  # no renewal from a stopped process
        deadline = time.monotonic() + DEADLINE
        while datetime.now(UTC) <= until:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        recover = runners.start(
            tmp_path, "tx", "recover", tx["id"], "--rollback", "--fabric-url", url, "--output", "json"
        )
        recover_out, recover_err = recover.communicate(timeout=DEADLINE)
    finally:
        os.kill(deploy.pid, signal.SIGCONT)
    _, deploy_err = deploy.communicate(timeout=DEADLINE + LRO_MS / 1000)

    assert recover.returncode == 0, recover_err
    assert json.loads(recover_out)["state"] == "rolled_back"
    assert deploy.returncode == 2, deploy_err
    assert f"the lease on workspace {tx['workspace_id']} ran out at" in deploy_err, deploy_err
    assert "no further write was started, and nothing more of this run was stored" in deploy_err
    assert [t["state"] for t in runners.journal()] == ["rolled_back"]  # as the recovery left it
    assert "Job 1" not in notebook_texts(fresh_emulator)  # the write after the lost lease never started
