"""What the bad-input tests share: the example copied and deployed to dev, and the check that a
refused command exits 2 with one precise line and changes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from cli import run, run_json

SOURCE = "sales-workspace"  # the `workspace` fixture's folder name, relative to the cwd (tmp_path)
CLEAN = "clean-copy"  # an untouched copy of the example, to plan against after a refused command
NOTEBOOK_PLATFORM = "Notebooks/Load Sales.Notebook/.platform"
USER_ERROR = 2
DEPLOYMENT_FAILED = 3


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one `error: ...` line on stderr holding every fragment."""
    output = f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == USER_ERROR, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    line = lines[0]
    assert line.startswith("error: "), output
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} is not in the error line {line!r}"
    return line


def field(name: str) -> str:
    return f"field '{name}'"


def state(cwd: Path) -> dict[str, Any]:
    """Everything fabctl records: the transactions, the promotion requests, the events."""
    return {
        "transactions": run_json(cwd, "tx", "list"),
        "promotions": run_json(cwd, "promote", "list"),
        "events": run_json(cwd, "events"),
    }


def plans(cwd: Path, *environments: str) -> dict[str, Any]:
    """What deploying the untouched example would change in each environment (counts and items)."""
    found = {}
    for environment in environments:
        plan = run_json(cwd, "plan", CLEAN, "--env", environment)
        found[environment] = {
            "summary": plan["summary"],
            "changes": [(change["kind"], change["key"]) for change in plan["changes"]],
        }
    return found


def refused_deploy_changes_nothing(workspace: Path, *fragments: str) -> str:
    """Deploy the (broken) source to test: refused with one line holding `fragments`, and nothing changed."""
    cwd = workspace.parent
    before, plans_before = state(cwd), plans(cwd, "dev", "test")
    assert plans_before["test"]["summary"]["create"] > 0  # a partial write to test would show in its plan

    line = assert_user_error(run(cwd, "deploy", SOURCE, "--env", "test", user="dora"), *fragments)

    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before
    return line


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
