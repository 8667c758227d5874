"""Two real `fabctl deploy` processes on one workspace: the second is refused, the workspace never mixed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure, requests_log, snapshot
from state_journal import journal

WORKSPACE = "Busy (dev)"
NOTEBOOKS = 5
COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]


def write_source(root: Path, version: str, notebooks: int = NOTEBOOKS) -> Path:
    """A source folder of `notebooks` notebooks in folder Jobs, every one saying `version`."""
    (root / "workspace-config.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "workspace-config.yaml").write_text(f'environments:\n  dev:\n    workspace: "{WORKSPACE}"\n')
    for n in range(notebooks):
        folder = root / "Jobs" / f"Job {n}.Notebook"
        folder.mkdir(parents=True, exist_ok=True)
        platform = {
            "metadata": {"type": "Notebook", "displayName": f"Job {n}", "description": ""},
            "config": {"version": "2.0", "logicalId": f"00000000-0000-4000-8000-{n:012d}"},
        }
        (folder / ".platform").write_text(json.dumps(platform))
        (folder / "notebook-content.py").write_text(f"# Fabric notebook source\n\nprint('{version} job {n}')\n")
    return root


def environment() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env["NO_COLOR"] = "1"
    return env


def start_deploy(cwd: Path, source: str, url: str, *extra: str) -> subprocess.Popen[str]:
    args = [*COMMAND, "deploy", source, "--env", "dev", "--fabric-url", url, "--output", "json", *extra]
    return subprocess.Popen(args, cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def notebook_texts(emulator: RunningEmulator) -> dict[str, str]:
    """displayName -> notebook-content.py of every item in the workspace."""
    texts: dict[str, str] = {}
    for ws in snapshot(emulator, ids=False)["workspaces"]:
        if ws["displayName"] != WORKSPACE:
            continue
        for item in ws["items"]:
            parts = {p["path"]: p.get("text", "") for p in item["definition"]["parts"]}
            assert item["displayName"] not in texts, f"duplicate item {item['displayName']}"
            texts[item["displayName"]] = parts.get("notebook-content.py", "")
    return texts


def expected_texts(version: str) -> dict[str, str]:
    return {f"Job {n}": f"# Fabric notebook source\n\nprint('{version} job {n}')\n" for n in range(NOTEBOOKS)}


def wait_for_steps(cwd: Path, steps: int, timeout: float = 60) -> dict[str, Any]:
    """The started transaction once it has journaled at least `steps` steps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = [t for t in journal(cwd) if t["state"] == "started" and len(t["steps"]) >= steps]
        if started:
            return started[-1]
        time.sleep(0.02)
    raise AssertionError(f"no transaction journaled {steps} steps within {timeout}s")


def test_a_second_deploy_to_a_busy_workspace_fails_naming_the_holder_and_nothing_mixes(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    write_source(tmp_path / "v0", "v0")
    write_source(tmp_path / "v1", "v1")
    write_source(tmp_path / "v2", "v2")
    first = subprocess.run(
        [*COMMAND, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url],
        cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    configure(fresh_emulator, latency_ms=150)  # every call is slow: the first deploy is still running

    running = start_deploy(tmp_path, "v1", fresh_emulator.url, "--workers", "1")
    holder = wait_for_steps(tmp_path, 1)
    # Only one item, so its plan (one definition read) is ready long before the first deploy ends.
    second = start_deploy(tmp_path, "v2", fresh_emulator.url, "--item", "Job 0.Notebook")
    second_out, second_err = second.communicate(timeout=120)
    running_out, running_err = running.communicate(timeout=120)

    assert running.returncode == 0, running_err
    assert json.loads(running_out)["transaction_id"] == holder["id"]
    assert second.returncode == 2, second_out + second_err  # a user error: nothing was changed
    assert f"transaction {holder['id']} (user " in second_err and "is deploying to this workspace" in second_err
    assert f"pid {running.pid} on host {socket.gethostname()}" in second_err  # the refusal names its holder
    assert json.loads(second_out)["error"]["kind"] == "WorkspaceBusy"
    assert notebook_texts(fresh_emulator) == expected_texts("v1")  # all of the first, none of the second
    assert [t["state"] for t in journal(tmp_path)] == ["committed", "committed"]  # the refused one left none


def test_once_the_holder_has_finished_the_next_deploy_goes_ahead(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    write_source(tmp_path / "v1", "v1")
    write_source(tmp_path / "v2", "v2")
    configure(fresh_emulator, latency_ms=50)

    running = start_deploy(tmp_path, "v1", fresh_emulator.url)
    wait_for_steps(tmp_path, 1)
    running.communicate(timeout=120)
    after = start_deploy(tmp_path, "v2", fresh_emulator.url)
    after_out, after_err = after.communicate(timeout=120)

    assert (running.returncode, after.returncode) == (0, 0), after_err
    assert json.loads(after_out)["state"] == "committed"
    assert notebook_texts(fresh_emulator) == expected_texts("v2")


def write_variant(root: Path, content: str, description: str) -> Path:
    """The notebooks of `write_source`, each saying `content` and described `description`."""
    write_source(root, content)
    for n in range(NOTEBOOKS):
        platform_file = root / "Jobs" / f"Job {n}.Notebook" / ".platform"
        platform = json.loads(platform_file.read_text())
        platform["metadata"]["description"] = description
        platform_file.write_text(json.dumps(platform))
    return root


def definition_reads(emulator: RunningEmulator) -> int:
    return sum(n for route, n in requests_log(emulator)["byRoute"].items() if route.endswith("/getDefinition"))


def test_a_deploy_that_planned_while_another_was_writing_is_refused_once_that_one_committed(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The stale-plan race: B reads the workspace while A is half-way, A commits, then B claims the
    workspace. B's plan was made on a workspace A was changing: B is refused and writes nothing.

    A changes descriptions only (quick calls); B changes contents, so B's plan reads definitions,
    long-running operations of seconds: A finishes while B is still planning. A is paused (SIGSTOP)
    from its first step until B has read the workspace, so B's plan is certain to see A half-way.
    """
    write_source(tmp_path / "v0", "v0")
    write_variant(tmp_path / "a", "v0", "changed by A")
    write_variant(tmp_path / "b", "v2", "")
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    first = subprocess.run(
        [*COMMAND, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url],
        cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    configure(fresh_emulator, latency_ms=150)

    a = start_deploy(tmp_path, "a", fresh_emulator.url, "--workers", "1")
    holder = wait_for_steps(tmp_path, 1)
    os.kill(a.pid, signal.SIGSTOP)  # A is half-way: its transaction started, one item written at most
    try:
        configure(fresh_emulator, latency_ms=0, lro_ms=5000)
        reads = definition_reads(fresh_emulator)
        b = start_deploy(tmp_path, "b", fresh_emulator.url)
        deadline = time.monotonic() + 60
        while definition_reads(fresh_emulator) == reads:  # B has read the workspace and the journal
            assert time.monotonic() < deadline and b.poll() is None, "B never read a definition"
            time.sleep(0.01)
    finally:
        os.kill(a.pid, signal.SIGCONT)
    a_out, a_err = a.communicate(timeout=120)
    b_out, b_err = b.communicate(timeout=120)

    assert a.returncode == 0, a_err
    assert json.loads(a_out)["transaction_id"] == holder["id"]
    assert b.returncode == 2, b_out + b_err
    assert "changed this workspace while this deployment was planning" in b_err, b_err
    assert notebook_texts(fresh_emulator) == expected_texts("v0")  # all of A, none of B
    described = {i["description"] for ws in snapshot(fresh_emulator, ids=False)["workspaces"] for i in ws["items"]}
    assert described == {"changed by A"}
    assert [t["state"] for t in journal(tmp_path)] == ["committed", "committed"]  # B left no transaction
