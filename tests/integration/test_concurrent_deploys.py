"""Two real `fabctl deploy` processes on one workspace: the second is refused, the workspace never mixed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure, snapshot
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
    assert f"transaction {holder['id']} is deploying to this workspace" in second_err
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
