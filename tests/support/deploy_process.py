"""Real `fabctl` processes for the recovery tests: small notebook sources, runs, and deployments
interrupted (SIGKILL, SIGINT, SIGTERM) once the journal shows they are writing.

Synchronisation is on the journal, read from `.fabctl/state.db` as another process would
(`state_journal.journal`), or from a shared Azure store (`shared_azure_state`, passed as `read`):
a test waits for a state of the deployment, never for a duration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, snapshot
from state_journal import journal

COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
DEADLINE_SECONDS = 60

# (name, folder, description, version tag) of each notebook of a source.
Notebook = tuple[str, str, str, str]
Journal = Callable[[], list[dict[str, Any]]]  # every transaction with its steps, oldest first


def write_source(root: Path, workspace: str, items: list[Notebook], *, protected: bool = False) -> str:
    """A source folder of notebooks whose environment `dev` targets `workspace`; its folder name."""
    root.mkdir(parents=True, exist_ok=True)
    config = f'environments:\n  dev:\n    workspace: "{workspace}"\n' + ("    protected: true\n" if protected else "")
    (root / "workspace-config.yaml").write_text(config)
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


def environment(**extra: str) -> dict[str, str]:
    """The caller's environment without any FABCTL_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def fabctl(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=env or environment(), capture_output=True, text=True, timeout=180
    )


def start(cwd: Path, *args: str, env: dict[str, str] | None = None, host: str = "") -> subprocess.Popen[str]:
    """`fabctl ARGS...` started in the background; stdout and stderr are piped.

    With `host`, it runs under that host name, in a UTS namespace of its own (`unshare`, which needs
    root, as CI has): to the others it is a runner on another machine, whose process they cannot see."""
    command = [*COMMAND, *args]
    if host:
        command = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *command]
    return subprocess.Popen(
        command, cwd=cwd, env=env or environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_journal(
    cwd: Path,
    found: Callable[[dict[str, Any]], bool],
    process: subprocess.Popen[str] | None = None,
    read: Journal | None = None,
) -> dict[str, Any]:
    """The first transaction for which `found` holds, polled until DEADLINE_SECONDS; the journal is
    `read()`, else the SQLite state under `cwd`."""
    read = read or (lambda: journal(cwd))
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        matching = [t for t in read() if found(t)]
        if matching:
            return matching[0]
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended (exit {process.returncode}) before the journal showed it")
        time.sleep(0.005)
    raise AssertionError("the journal never showed what was waited for")


def is_writing(source: str, steps: int) -> Callable[[dict[str, Any]], bool]:
    """A started transaction of `source` (its folder name) with at least `steps` steps journaled."""
    return lambda t: Path(t["source_dir"]).name == source and t["state"] == "started" and len(t["steps"]) >= steps


def kill_after_steps(
    cwd: Path,
    source: str,
    url: str,
    steps: int,
    delay: float,
    *extra: str,
    workers: int = 2,
    env: dict[str, str] | None = None,
    read: Journal | None = None,
) -> str:
    """Start a deploy, SIGKILL it once `steps` steps are journaled and `delay` seconds passed; its transaction.
    `env` and `read`: the runner's environment and its journal, when its state is not SQLite under `cwd`."""
    args = ["deploy", source, "--env", "dev", "--fabric-url", url, "--workers", str(workers), *extra]
    process = start(cwd, *args, env=env)
    read = read or (lambda: journal(cwd))
    try:
        started = wait_for_journal(cwd, is_writing(source, steps), process, read)
        time.sleep(delay)  # where the kill lands: a few milliseconds later, mid-write or between writes
        assert process.poll() is None, f"the deploy finished before the kill: {process.communicate()}"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        [tx] = [t for t in read() if t["id"] == started["id"]]
        assert tx["state"] == "started", tx["state"]  # the kill left it unfinished
        return str(tx["id"])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        process.communicate()


def workspace(emulator: RunningEmulator, name: str, *, ids: bool = False) -> dict[str, Any]:
    found = [ws for ws in snapshot(emulator, ids=ids)["workspaces"] if ws["displayName"] == name]
    assert len(found) == 1, f"workspace {name}: {len(found)} found"
    return found[0]


def workspace_names(emulator: RunningEmulator) -> list[str]:
    return sorted(ws["displayName"] for ws in snapshot(emulator, ids=False)["workspaces"])


def content(ws: dict[str, Any]) -> dict[str, Any]:
    """What a deployment decides: folders and items (names, descriptions, folders, definitions)."""
    keys = Counter((i["type"], i["displayName"]) for i in ws["items"])
    assert all(n == 1 for n in keys.values()), f"duplicate items: {keys}"
    return {"folders": ws["folders"], "items": ws["items"]}
