"""`fabctl doctor` through the real CLI: each check passing, and failing for a real reason (the emulator
gone, a workspace missing, a bad file, a held lease), in text and JSON, with exit codes 0 and 2."""

from __future__ import annotations

import json
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cli import run
from emulator_process import RunningEmulator
from sources import CONFIG, DEV_WORKSPACE, SOURCE, deploy, new_source, notebook, write_item

from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import SystemClock
from fabctl.adapters.system.ids import UuidIdGenerator
from fabctl.domain.transaction import Transaction


def doctor(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]]]:
    """`fabctl doctor ARGS -o json`: the process and its checks by name."""
    result = run(cwd, "doctor", *args, "-o", "json")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    document = json.loads(result.stdout)
    checks = {c["name"]: c for c in document["checks"]}
    assert document["ok"] is (result.returncode == 0), result.stdout
    return result, checks


def statuses(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: c["status"] for name, c in checks.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_everything_passes_against_the_emulator_once_the_workspace_exists(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    new_source(tmp_path)
    write_item(tmp_path / SOURCE, "Notebook", "Load", notebook("print(1)"))
    deploy(tmp_path, emulator)

    result, checks = doctor(tmp_path, SOURCE, "--fabric-url", emulator.url)

    assert result.returncode == 0, result.stdout
    assert statuses(checks) == {
        "settings": "pass", "configuration": "pass", "credential": "skipped", "fabric": "pass",
        "workspaces": "pass", "roles": "skipped", "capacity": "pass", "key vault": "skipped",
        "state store": "pass", "service bus": "skipped", "unfinished work": "pass",
    }  # fmt: skip
    assert f"dev: '{DEV_WORKSPACE}'" in checks["workspaces"]["detail"]
    assert "Active" in checks["capacity"]["detail"]  # the emulator's default capacity
    assert "loopback emulator" in checks["credential"]["detail"]


def test_a_missing_workspace_fails_naming_the_environment(tmp_path: Path, emulator: RunningEmulator) -> None:
    new_source(tmp_path, CONFIG + '  prod:\n    workspace: "Engine (prod)"\n')
    write_item(tmp_path / SOURCE, "Notebook", "Load", notebook("print(1)"))
    deploy(tmp_path, emulator)  # dev only: prod's workspace does not exist

    result, checks = doctor(tmp_path, SOURCE, "--fabric-url", emulator.url)

    assert result.returncode == 2
    found = checks["workspaces"]
    assert found["status"] == "fail" and "prod ('Engine (prod)')" in found["detail"] and found["fix"]
    assert f"dev: '{DEV_WORKSPACE}'" in found["detail"]  # what is visible is still said
    assert checks["capacity"]["status"] == "pass"  # the workspaces found are still checked


def test_fabric_gone_fails_the_fabric_checks_and_nothing_else(tmp_path: Path) -> None:
    new_source(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there

    result, checks = doctor(tmp_path, SOURCE, "--fabric-url", url)

    assert result.returncode == 2
    assert checks["fabric"]["status"] == "fail" and checks["fabric"]["fix"]
    assert statuses(checks)["state store"] == "pass" and statuses(checks)["configuration"] == "pass"


def test_text_output_marks_each_check_and_gives_the_fix(tmp_path: Path) -> None:
    new_source(tmp_path, "environments:\n  dev:\n    workspace: x\n    protectd: true\n")

    result = run(tmp_path, "doctor", SOURCE)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    configuration = next(line for line in lines if "configuration" in line)
    assert configuration.startswith("✗") and "environments.dev.protectd" in configuration
    assert lines[lines.index(configuration) + 1].strip().startswith("fix: ")
    assert next(line for line in lines if " settings " in line).startswith("✓")
    assert next(line for line in lines if " service bus " in line).startswith("\N{EN DASH}")


def test_a_held_lease_fails_naming_the_transaction_and_the_command_that_settles_it(tmp_path: Path) -> None:
    new_source(tmp_path)
    store = SqliteUnitOfWork(str(tmp_path / ".fabctl" / "state.db"), clock=SystemClock(), ids=UuidIdGenerator())
    now = datetime.now(UTC)
    with store:  # what a deployment killed mid-way leaves: its journal started, its lease held
        store.transactions.add(Transaction.start("tx-held", "ws-1", "dev", now, SOURCE, actor="dora"))
        store.leases.acquire("ws-1", "tx-held", now + timedelta(hours=1), user="dora")
        store.commit()

    result, checks = doctor(tmp_path, SOURCE)

    assert result.returncode == 2
    found = checks["unfinished work"]
    assert found["status"] == "fail" and "transaction tx-held (user dora" in found["detail"]
    assert "transaction tx-held (dev) is started" in found["detail"]
    assert found["fix"].count("fabctl tx recover tx-held") == 1


def test_bad_settings_fail_the_settings_check_and_skip_what_needs_them(tmp_path: Path) -> None:
    new_source(tmp_path)

    result, checks = doctor(tmp_path, SOURCE, "--fabric-url", "https://user:secret@fabric.example/v1")

    assert result.returncode == 2
    assert checks["settings"]["status"] == "fail" and "fabric_url" in checks["settings"]["detail"]
    assert "secret" not in result.stdout + result.stderr
    assert {statuses(checks)[n] for n in ("fabric", "state store", "unfinished work")} == {"skipped"}
