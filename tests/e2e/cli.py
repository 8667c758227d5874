"""Runs the real `fabctl` CLI in a subprocess, in a given working directory (where `.fabctl/` lives)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"
COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]


def _environment(user: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    # No FABCTL_* setting leaks in from the developer's shell or CI: each test runs on the defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env["NO_COLOR"] = "1"
    if user is not None:
        env["FABCTL_USER"] = user
    env.update(extra or {})
    return env


def run(
    cwd: Path, *args: str, user: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`fabctl ARGS...` run in `cwd`, with FABCTL_USER set only when `user` is given, and `env` added."""
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        cwd=cwd,
        env=_environment(user, env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_json(
    cwd: Path, *args: str, user: str | None = None, expect_code: int = 0, env: dict[str, str] | None = None
) -> Any:
    """`fabctl ARGS... --output json`, checked for `expect_code`, its stdout parsed as one JSON document."""
    result = run(cwd, *args, "--output", "json", user=user, env=env)
    assert result.returncode == expect_code, (
        f"fabctl {' '.join(args)} exited {result.returncode}, expected {expect_code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"fabctl {' '.join(args)} printed no JSON document on stdout: {result.stdout!r}") from e
