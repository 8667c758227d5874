"""SIGKILL a real `fabctl deploy` mid-way at seeded random points, then `fabctl tx recover`.

After `--rollback` the workspace equals its snapshot from before the deployment; after `--resume`
it equals what an uninterrupted deployment of the same source produces; never a duplicate item.
The kill lands after the deployment journaled N steps (N random), read from the SQLite state as
another process would, plus a random few milliseconds, so writes are caught in flight.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from emulator_process import RunningEmulator, configure, snapshot
from state_journal import journal

COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
SEED = 20261123
ROLLBACK_POINTS = 12
RESUME_POINTS = 10
LATENCY = {"latency_ms": 40, "lro_ms": 60}

# (name, folder, description, version tag): v1 changes content, a description, a folder, and adds items.
V0 = [
    ("Job 0", "Jobs", "", "v0"),
    ("Job 1", "Jobs", "", "v0"),
    ("Job 2", "Jobs", "", "v0"),
    ("Job 3", "Jobs", "", "v0"),
]
V1 = [
    ("Job 0", "Jobs", "", "v1"),
    ("Job 1", "Jobs/Moved", "", "v1"),
    ("Job 2", "Jobs", "now described", "v1"),
    ("Job 3", "Jobs", "", "v0"),
    ("Job 4", "New", "", "v1"),
    ("Job 5", "New/Deeper", "", "v1"),
]


def write_source(root: Path, workspace: str, items: list[tuple[str, str, str, str]]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "workspace-config.yaml").write_text(f'environments:\n  dev:\n    workspace: "{workspace}"\n')
    for name, folder, description, tag in items:
        number = int(name.split()[-1])
        home = root / folder / f"{name}.Notebook"
        home.mkdir(parents=True, exist_ok=True)
        platform = {
            "metadata": {"type": "Notebook", "displayName": name, "description": description},
            "config": {"version": "2.0", "logicalId": f"00000000-0000-4000-8000-{number:012d}"},
        }
        (home / ".platform").write_text(json.dumps(platform))
        (home / "notebook-content.py").write_text(f"# Fabric notebook source\n\nprint('{tag} {name}')\n")
    return root.name


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env["NO_COLOR"] = "1"
    return env


def fabctl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=environment(), capture_output=True, text=True, timeout=120)


def workspace(emulator: RunningEmulator, name: str) -> dict[str, Any]:
    found = [ws for ws in snapshot(emulator, ids=False)["workspaces"] if ws["displayName"] == name]
    assert len(found) == 1, f"workspace {name}: {len(found)} found"
    return found[0]


def content(ws: dict[str, Any]) -> dict[str, Any]:
    """What a deployment decides: folders and items (names, descriptions, folders, definitions)."""
    keys = Counter((i["type"], i["displayName"]) for i in ws["items"])
    assert all(n == 1 for n in keys.values()), f"duplicate items: {keys}"
    return {"folders": ws["folders"], "items": ws["items"]}


def kill_after_steps(cwd: Path, source: str, url: str, steps: int, delay: float) -> str:
    """Start a deploy, SIGKILL it once `steps` steps are journaled and `delay` seconds passed; its transaction."""
    args = ["deploy", source, "--env", "dev", "--fabric-url", url, "--workers", "2"]
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            started = [t for t in journal(cwd) if t["source_dir"] == source and len(t["steps"]) >= steps]
            if started:
                time.sleep(delay)
                assert process.poll() is None, f"the deploy finished before the kill: {process.stderr}"
                os.kill(process.pid, signal.SIGKILL)
                process.wait(10)
                [tx] = [t for t in journal(cwd) if t["id"] == started[0]["id"]]
                assert tx["state"] == "started", tx["state"]  # the kill left it unfinished
                return str(tx["id"])
            time.sleep(0.005)
        raise AssertionError(f"the deploy never journaled {steps} steps")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def points(count: int, offset: int) -> list[tuple[int, float]]:
    """(steps journaled before the kill, extra delay in seconds): seeded, so every run kills at the same points."""
    rng = random.Random(SEED + offset)
    return [(rng.randint(1, 8), rng.uniform(0.0, 0.06)) for _ in range(count)]


@pytest.mark.parametrize(("steps", "delay"), points(ROLLBACK_POINTS, 0))
def test_recover_rollback_after_a_kill_restores_the_workspace_exactly(
    fresh_emulator: RunningEmulator, tmp_path: Path, steps: int, delay: float
) -> None:
    name = f"Crash rollback {steps} {delay:.4f}"
    write_source(tmp_path / "v0", name, V0)
    write_source(tmp_path / "v1", name, V1)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    first = fabctl(tmp_path, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url)
    assert first.returncode == 0, first.stderr
    before = workspace(fresh_emulator, name)

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(tmp_path, "v1", fresh_emulator.url, steps, delay)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    refused = fabctl(tmp_path, "deploy", "v1", "--env", "dev", "--fabric-url", fresh_emulator.url)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--rollback", "--force", "--output", "json")

    assert refused.returncode == 2 and f"fabctl tx recover {crashed}" in refused.stderr, refused.stderr
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert json.loads(recovered.stdout)["state"] == "rolled_back"
    assert workspace(fresh_emulator, name) == before  # byte for byte: definitions, names, folders
    assert not (tmp_path / ".fabctl" / "local-fabric.db").exists()  # recover reached the journaled Fabric only


@pytest.mark.parametrize(("steps", "delay"), points(RESUME_POINTS, 1))
def test_recover_resume_after_a_kill_gives_what_an_uninterrupted_deploy_gives(
    fresh_emulator: RunningEmulator, tmp_path: Path, steps: int, delay: float
) -> None:
    name = f"Crash resume {steps} {delay:.4f}"
    reference = f"Reference {steps} {delay:.4f}"
    write_source(tmp_path / "v1", name, V1)
    write_source(tmp_path / "reference", reference, V1)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    uninterrupted = fabctl(tmp_path, "deploy", "reference", "--env", "dev", "--fabric-url", fresh_emulator.url)
    assert uninterrupted.returncode == 0, uninterrupted.stderr

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(tmp_path, "v1", fresh_emulator.url, steps, delay)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume", "--force", "--output", "json")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    document = json.loads(recovered.stdout)
    assert document["deployment"]["state"] == "committed"
    assert content(workspace(fresh_emulator, name)) == content(workspace(fresh_emulator, reference))
