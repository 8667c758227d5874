"""Every setting the README documents, written in `fabctl.toml`, takes effect through the real CLI.

The README lists the variables FABCTL_STATE_DIR, FABCTL_STATE_STORE, FABCTL_FABRIC, FABCTL_FABRIC_URL,
FABCTL_FABRIC_TRACE and FABCTL_USER, "or the same keys in a fabctl.toml file": each key is accepted
under the setting's name (`state_dir`) and under the variable's (`FABCTL_STATE_DIR`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli import EXAMPLE
from emulator_process import RunningEmulator
from sources import items
from test_cli_bad_input import SOURCE
from test_cli_settings_input import fabctl

SPELLINGS = ["setting", "variable"]


def spelled(key: str, spelling: str) -> str:
    return key if spelling == "setting" else f"FABCTL_{key.upper()}"


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / SOURCE)
    return tmp_path


def settings_file(cwd: Path, spelling: str, **values: str) -> None:
    lines = [f"{spelled(key, spelling)} = {json.dumps(value)}" for key, value in values.items()]
    (cwd / "fabctl.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def deployed(cwd: Path, *args: str) -> None:
    result = fabctl(cwd, "deploy", SOURCE, "--env", "dev", *args)
    assert result.returncode == 0, result.stdout + result.stderr


def json_of(cwd: Path, *args: str) -> object:
    result = fabctl(cwd, *args, "--output", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_state_dir(cwd: Path, spelling: str) -> None:
    settings_file(cwd, spelling, state_dir="kept/here")

    deployed(cwd)

    assert sorted(p.name for p in (cwd / "kept" / "here").glob("*.db")) == ["local-fabric.db", "state.db"]
    assert not (cwd / ".fabctl").exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_state_store(cwd: Path, spelling: str) -> None:
    settings_file(cwd, spelling, state_store="memory")

    deployed(cwd)

    assert json_of(cwd, "tx", "list") == []  # the deployment's transaction lived in memory only
    assert not (cwd / ".fabctl" / "state.db").exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_fabric(cwd: Path, spelling: str) -> None:
    settings_file(cwd, spelling, fabric="memory")

    deployed(cwd)

    plan = json_of(cwd, "plan", SOURCE, "--env", "dev")
    assert plan["summary"]["create"] > 0  # type: ignore[index]  # the in-memory Fabric forgot it
    assert not (cwd / ".fabctl" / "local-fabric.db").exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_fabric_url_and_fabric_trace(cwd: Path, emulator: RunningEmulator, spelling: str) -> None:
    settings_file(cwd, spelling, fabric_url=emulator.url, fabric_trace="trace.jsonl")

    deployed(cwd)

    assert "Load Sales.Notebook" in items(emulator, "Sales (dev)")
    trace = (cwd / "trace.jsonl").read_text(encoding="utf-8").splitlines()
    assert trace and all(json.loads(line) for line in trace)
    assert not (cwd / ".fabctl" / "local-fabric.db").exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_user(cwd: Path, spelling: str) -> None:
    settings_file(cwd, spelling, user="zed")
    deployed(cwd)

    request = json_of(cwd, "promote", "request", SOURCE, "--from", "dev")

    assert request["requested_by"] == "zed"  # type: ignore[index]
