"""Start `fabctl emulator serve` as a real process for tests, and talk to its admin surface.

The server picks a free port itself (`--port 0`) and prints its API base URL as its first stdout
line; we wait for that line, so no test ever races the bind. The process is stopped by its own PID
(terminate, then kill after 10 s), never by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main", "emulator", "serve", "--port", "0"]
# The server's defaults are Fabric's recorded waits (Retry-After 20 s on a create, 120 s and a publish that
# runs a second on an environment; a poll sooner than asked is refused): tests and benchmarks start it with
# the fast profile, where every Retry-After follows the operation and no poll is refused, and with
# publishes that end at once, unless they name their own (the last flag wins) or set the knobs live.
DEFAULT_PROFILE = ("--profile", "fast", "--publish-ms", "0")
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class RunningEmulator:
    url: str  # the API base, e.g. http://127.0.0.1:43521/v1
    admin: str  # the admin base, e.g. http://127.0.0.1:43521/_emulator
    process: subprocess.Popen[str]
    # stderr goes to a file, not a pipe: a pipe nobody drains would block a chatty server.
    stderr_file: IO[str]

    @property
    def root(self) -> str:
        """scheme://host:port, for building absolute paths such as /v1/... or /_emulator/..."""
        return self.url.removesuffix("/v1")

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    # readline() blocks; a thread lets us give up after `timeout` without a platform-specific select.
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


def stop(process: subprocess.Popen[str]) -> int:
    """Terminate `process` by its PID, kill it if it outlives STOP_TIMEOUT_SECONDS; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


def start(*args: str, tmp_path: Path | None = None, env: dict[str, str] | None = None) -> RunningEmulator:
    """A started emulator; the caller must `stop(emulator.process)`. `tmp_path` is its working
    directory (so nothing it might write lands in the repository). `--profile fast` unless `args` name one.
    `env`: variables added to its environment (e.g. the proxy and CA that reach a token authority)."""
    if "--profile" not in args:
        args = (*DEFAULT_PROFILE, *args)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}, **(env or {})}
    env["PYTHONUNBUFFERED"] = "1"
    stderr_file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - outlives this call
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=stderr_file, text=True
    )
    url = _first_line(process, START_TIMEOUT_SECONDS)
    emulator = RunningEmulator(url, url.removesuffix("/v1") + "/_emulator", process, stderr_file)
    if not url.endswith("/v1"):
        code = stop(process)
        stderr = emulator.stderr()
        stderr_file.close()
        raise RuntimeError(f"the emulator did not announce its URL (first line {url!r}, exit code {code}):\n{stderr}")
    return emulator


@contextmanager
def running_emulator(
    *args: str, tmp_path: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[RunningEmulator]:
    """`fabctl emulator serve --port 0 ARGS...` for the duration of the block."""
    emulator = start(*args, tmp_path=tmp_path, env=env)
    try:
        yield emulator
    finally:
        stop(emulator.process)
        emulator.stderr_file.close()


def _admin(emulator: RunningEmulator, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(f"{emulator.admin}/{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def reset(emulator: RunningEmulator) -> None:
    """Empty tenant, no operations, counters at zero; the knobs are kept."""
    _admin(emulator, "POST", "reset")


def configure(emulator: RunningEmulator, **knobs: Any) -> dict[str, Any]:
    """Change runtime knobs (fault_rate, fault_kinds, throttle_rpm, latency_ms, lro_ms, lro_share,
    page_size, seed, reserved_name_status, create_retry_after_s, publish_retry_after_s, refuse_early_polls,
    ...); returns every runtime knob's value now."""
    result: dict[str, Any] = _admin(emulator, "POST", "config", knobs)
    return result


def snapshot(emulator: RunningEmulator, *, ids: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = _admin(emulator, "GET", "snapshot" + ("" if ids else "?ids=false"))
    return result


def requests_log(emulator: RunningEmulator) -> dict[str, Any]:
    result: dict[str, Any] = _admin(emulator, "GET", "requests")
    return result


def set_capacity(emulator: RunningEmulator, **capacity: str) -> dict[str, Any]:
    """A capacity added, or paused (`state="Inactive"`) or resumed: `displayName`, `state`, `id` (the default
    capacity when left out), `sku` (docs/emulator.md, /_emulator/capacities)."""
    result: dict[str, Any] = _admin(emulator, "POST", "capacities", capacity)
    return result


def set_role(emulator: RunningEmulator, workspace_id: str, principal_id: str, role: str, kind: str = "User") -> None:
    """`principal_id`'s role in the workspace, whatever it was (/_emulator/role-assignments)."""
    body = {"workspaceId": workspace_id, "principal": {"id": principal_id, "type": kind}, "role": role}
    _admin(emulator, "POST", "role-assignments", body)
