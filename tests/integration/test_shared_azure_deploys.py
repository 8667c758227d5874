"""Runners that share only an Azure state store: real `fabctl` processes, each in its own working
directory (so no SQLite file in common), one table and container on Azurite, one emulator over HTTP.

What SQLite's file lock gives one machine must hold for runners anywhere: one deployment at a time per
workspace, the refused one naming its holder and writing nothing; a holder killed mid-way is refused
to others while its lease and its process live, and is settled by `fabctl tx recover` from another
runner, reading the journal and the before-images from the store alone. Synchronisation is on the
journal in the table (`SharedAzureState.journal`), never on a duration.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure_state import azurite  # noqa: F401 (a fixture: one Azurite for the module)
from azurite_process import RunningAzurite
from crash_points import LATENCY, V0, V1, points
from deploy_process import (
    content,
    environment,
    fabctl,
    is_writing,
    kill_after_steps,
    start,
    wait_for_journal,
    workspace,
    write_source,
)
from emulator_process import RunningEmulator, configure
from shared_azure_state import SharedAzureState

FAST = {"latency_ms": 0, "lro_ms": 0}


@pytest.fixture
def store(azurite: RunningAzurite) -> SharedAzureState:  # noqa: F811 (the fixture imported above)
    return SharedAzureState.fresh(azurite)


def runner(tmp_path: Path, name: str) -> Path:
    """A runner's own working directory: its `.fabctl/` would be its own, were the state in SQLite."""
    home = tmp_path / name
    home.mkdir()
    return home


def texts(ws: dict[str, object]) -> dict[str, str]:
    """displayName -> notebook-content.py of each item of a workspace (from `workspace`)."""
    items = ws["items"]
    assert isinstance(items, list)
    return {
        i["displayName"]: {p["path"]: p.get("text", "") for p in i["definition"]["parts"]}["notebook-content.py"]
        for i in items
    }


@pytest.mark.parametrize("head_start", [0.0, 0.3])
def test_two_runners_deploying_at_once_never_mix_and_the_loser_names_the_holder(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path, head_start: float
) -> None:
    name = f"Shared {head_start}"
    items = [(f"Job {n}", "Jobs", "", "v0") for n in range(6)]
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    write_source(a / "v0", name, items)
    for home, tag in ((a, "a"), (b, "b")):
        write_source(home / "src", name, [(n, f, d, tag) for n, f, d, _ in items])
    configure(fresh_emulator, **FAST)
    seeded = fabctl(a, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url, env=env)
    assert seeded.returncode == 0, seeded.stderr
    configure(fresh_emulator, latency_ms=40, lro_ms=40)

    deploy = ("deploy", "src", "--env", "dev", "--fabric-url", fresh_emulator.url, "--output", "json")
    first = start(a, *deploy, env=env)
    time.sleep(head_start)  # which one wins is not asserted: either may, at any head start
    second = start(b, *deploy, env=env)
    outcomes = {home: (p, *p.communicate(timeout=120)) for home, p in ((a, first), (b, second))}

    codes = sorted(p.returncode for p, _, _ in outcomes.values())
    assert codes == [0, 2], {h.name: (p.returncode, err) for h, (p, _, err) in outcomes.items()}
    [(winner_home, (winner, winner_out, _))] = [(h, o) for h, o in outcomes.items() if o[0].returncode == 0]
    [(_, loser_out, loser_err)] = [o for o in outcomes.values() if o[0].returncode == 2]
    holder = json.loads(winner_out)["transaction_id"]
    assert json.loads(loser_out)["error"]["kind"] == "WorkspaceBusy", loser_err
    if "is deploying to this workspace" in loser_err:  # refused on the lease: its facts came from the store
        assert f"transaction {holder} (user " in loser_err
        assert f"pid {winner.pid} on host {socket.gethostname()}" in loser_err
    else:  # or, having planned while the winner wrote, refused on the journal once the winner had finished
        assert f"transaction {holder} changed this workspace while this deployment was planning" in loser_err
    tag = "a" if winner_home == a else "b"
    expected = {n: f"# Fabric notebook source\n\nprint('{tag} {n}')\n" for n, _, _, _ in items}
    assert texts(workspace(fresh_emulator, name)) == expected  # all of the winner's source, none of the loser's
    journal = store.journal()
    assert [(t["id"] == holder, t["state"]) for t in journal] == [(False, "committed"), (True, "committed")]
    assert store.lease(journal[-1]["workspace_id"]) is None  # released by the winner; the loser took none


def _deploying(
    emulator: RunningEmulator, store: SharedAzureState, a: Path, b: Path, name: str, **holder: str
) -> tuple[subprocess.Popen[str], str, dict[str, object]]:
    """Runner a deploys V0, then starts V1 (`holder`: its environment's extra settings, and `host`), which
    runs until it journaled two steps; b has V1 too. The running holder, its transaction, and the
    workspace as it was before V1. The caller stops the holder."""
    host = holder.pop("host", "")
    env = environment(**store.settings())
    write_source(a / "v0", name, V0)
    for home in (a, b):
        write_source(home / "v1", name, V1)
    configure(emulator, **FAST)
    assert fabctl(a, "deploy", "v0", "--env", "dev", "--fabric-url", emulator.url, env=env).returncode == 0
    before = workspace(emulator, name)
    configure(emulator, **LATENCY)
    deploy = ("deploy", "v1", "--env", "dev", "--fabric-url", emulator.url, "--workers", "2")
    process = start(a, *deploy, env={**env, **holder}, host=host)
    try:
        crashed = str(wait_for_journal(a, is_writing("v1", 2), process, store.journal)["id"])
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return process, crashed, before


def _killed_while_refusing_others(
    emulator: RunningEmulator, store: SharedAzureState, a: Path, b: Path, name: str
) -> tuple[str, dict[str, object]]:
    """Runner a deploys V0, then V1 until it journaled two steps, when it is stopped (SIGSTOP): a live
    holder. Runner b is refused both a deploy and a recover, naming it; then a is SIGKILLed.
    The crashed transaction and the workspace as it was before V1."""
    env = environment(**store.settings())
    holder, crashed, before = _deploying(emulator, store, a, b, name)
    try:
        os.kill(holder.pid, signal.SIGSTOP)
        configure(emulator, **FAST)
        busy = fabctl(b, "deploy", "v1", "--env", "dev", "--fabric-url", emulator.url, env=env)
        early = fabctl(b, "tx", "recover", crashed, "--rollback", env=env)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        holder.communicate()
    here = f"pid {holder.pid} on host {socket.gethostname()}"
    assert busy.returncode == 2 and "is deploying to this workspace" in busy.stderr, busy.stderr
    assert f"transaction {crashed} (user " in busy.stderr and here in busy.stderr, busy.stderr
    assert early.returncode == 2 and f"may still be running by {here}" in early.stderr, early.stderr
    [tx] = [t for t in store.journal() if t["id"] == crashed]
    assert tx["state"] == "started"  # neither refusal touched it
    return crashed, before


def test_another_runner_rolls_back_a_killed_holder_once_its_lease_is_not_live(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path
) -> None:
    """On this host a holder whose process is gone binds nobody; a lease written on another host binds
    until it expires (by the store's clock), then binds nobody either. The lease entity is rewritten to
    be the other host's, then to have expired: a second machine and a 15-minute wait, without either."""
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    crashed, before = _killed_while_refusing_others(fresh_emulator, store, a, b, "Shared rollback")
    [workspace_id] = [t["workspace_id"] for t in store.journal() if t["id"] == crashed]
    store.rewrite_lease(workspace_id, host="another-runner")
    elsewhere = fabctl(b, "tx", "recover", crashed, "--rollback", env=env)
    store.rewrite_lease(workspace_id, until=datetime.now(UTC) - timedelta(minutes=1))
    recovered = fabctl(b, "tx", "recover", crashed, "--rollback", "--output", "json", env=env)  # no --force

    assert elsewhere.returncode == 2, elsewhere.stdout + elsewhere.stderr
    assert "on host another-runner" in elsewhere.stderr and "--force" in elsewhere.stderr, elsewhere.stderr
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert json.loads(recovered.stdout)["state"] == "rolled_back"
    assert workspace(fresh_emulator, "Shared rollback") == before  # byte for byte, from the store's before-images
    assert [t["state"] for t in store.journal()] == ["committed", "rolled_back"]
    assert store.lease(workspace_id) is None
    assert not (a / ".fabctl").exists() and not (b / ".fabctl").exists()  # nothing was kept locally


def test_a_killed_holder_on_another_host_binds_until_its_lease_runs_out_then_a_waiting_runner_recovers(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path
) -> None:
    """No rewriting of the lease: the holder runs as host `runner-elsewhere` with a 20-second lease, is
    SIGKILLed mid-deploy, and the other runner's `--lock-timeout` waits the lease out by the real clock."""
    name = "Shared lease expiry"
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    holder, crashed, before = _deploying(
        fresh_emulator, store, a, b, name, FABCTL_LEASE_SECONDS="20", host="runner-elsewhere"
    )
    try:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        holder.communicate()
    configure(fresh_emulator, **FAST)

    deploy = ("deploy", "v1", "--env", "dev", "--fabric-url", fresh_emulator.url)
    refused = fabctl(b, *deploy, "--lock-timeout", "1s", env=env)
    recovered = fabctl(b, "tx", "recover", crashed, "--rollback", "--lock-timeout", "2m", "--output", "json", env=env)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "is deploying to this workspace" in refused.stderr and "on host runner-elsewhere" in refused.stderr
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "waiting for the workspace (lock timeout 120s)" in recovered.stderr  # it waited; no --force
    assert "on host runner-elsewhere" in recovered.stderr
    assert json.loads(recovered.stdout)["state"] == "rolled_back"
    assert workspace(fresh_emulator, name) == before  # byte for byte, from the store's before-images
    assert [t["state"] for t in store.journal()] == ["committed", "rolled_back"]
    [workspace_id] = {t["workspace_id"] for t in store.journal()}
    assert store.lease(workspace_id) is None


def test_another_runner_resumes_a_killed_holder_on_this_host_at_once(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path
) -> None:
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    write_source(b / "reference", "Shared reference", V1)
    configure(fresh_emulator, **FAST)
    assert fabctl(b, "deploy", "reference", "--env", "dev", "--fabric-url", fresh_emulator.url).returncode == 0
    crashed, _ = _killed_while_refusing_others(fresh_emulator, store, a, b, "Shared resume")

    recovered = fabctl(b, "tx", "recover", crashed, "--resume", "--output", "json", env=env)  # no --force

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    resumed = json.loads(recovered.stdout)["deployment"]
    assert resumed["state"] == "committed"
    assert content(workspace(fresh_emulator, "Shared resume")) == content(workspace(fresh_emulator, "Shared reference"))
    by_id = {t["id"]: t for t in store.journal()}
    assert (
        by_id[crashed]["state"] in {"committed", "failed"} and by_id[resumed["transaction_id"]]["state"] == "committed"
    )
    assert store.lease(by_id[crashed]["workspace_id"]) is None


@pytest.mark.parametrize(("steps", "delay", "workers"), points(3, 10))
def test_a_kill_at_a_random_point_is_rolled_back_exactly_by_another_runner(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path, steps: int, delay: float, workers: int
) -> None:
    name = f"Shared crash rollback {steps} {delay:.4f}"
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    write_source(a / "v0", name, V0)
    write_source(a / "v1", name, V1)
    configure(fresh_emulator, **FAST)
    assert fabctl(a, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url, env=env).returncode == 0
    before = workspace(fresh_emulator, name)

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(a, "v1", fresh_emulator.url, steps, delay, workers=workers, env=env, read=store.journal)
    configure(fresh_emulator, **FAST)
    recovered = fabctl(b, "tx", "recover", crashed, "--rollback", "--output", "json", env=env)

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert json.loads(recovered.stdout)["state"] == "rolled_back"
    assert workspace(fresh_emulator, name) == before
    assert [t["state"] for t in store.journal()] == ["committed", "rolled_back"]


@pytest.mark.parametrize(("steps", "delay", "workers"), points(3, 11))
def test_a_kill_at_a_random_point_is_resumed_by_another_runner_as_if_uninterrupted(
    fresh_emulator: RunningEmulator, store: SharedAzureState, tmp_path: Path, steps: int, delay: float, workers: int
) -> None:
    name, reference = f"Shared crash resume {steps} {delay:.4f}", f"Shared reference {steps} {delay:.4f}"
    a, b = runner(tmp_path, "a"), runner(tmp_path, "b")
    env = environment(**store.settings())
    for folder, target, items in (("reference-v0", reference, V0), ("reference", reference, V1)):
        write_source(b / folder, target, items)
    write_source(a / "v0", name, V0)
    for home in (a, b):
        write_source(home / "v1", name, V1)
    url = fresh_emulator.url
    configure(fresh_emulator, **FAST)
    for home, folder in ((b, "reference-v0"), (b, "reference"), (a, "v0")):
        assert fabctl(home, "deploy", folder, "--env", "dev", "--fabric-url", url, env=env).returncode == 0

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(a, "v1", url, steps, delay, workers=workers, env=env, read=store.journal)
    configure(fresh_emulator, **FAST)
    recovered = fabctl(b, "tx", "recover", crashed, "--resume", "--output", "json", env=env)

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    document = json.loads(recovered.stdout)
    assert document["deployment"]["state"] == "committed"
    assert content(workspace(fresh_emulator, name)) == content(workspace(fresh_emulator, reference))
    by_id = {t["id"]: t for t in store.journal()}
    resumed = by_id[document["deployment"]["transaction_id"]]
    assert (by_id[crashed]["state"], bool(resumed["steps"])) in {("committed", False), ("failed", True)}
    for extra in ((), ("--refresh",)):  # b's view of the records agrees with the workspace
        plan = fabctl(b, "plan", "v1", "--env", "dev", "--fabric-url", url, "--output", "json", *extra, env=env)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": len(V1)}
