"""`fabctl state migrate` through the real CLI, local Fabric and Azurite: a deployment's state moves from
the SQLite file into Azure and back, and after each move the new store tells the same story (the same
transactions, a plan with nothing to do) without the old one. A target that already holds state, or no
local state to move, is refused with exit 2 and nothing written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azurite_process import RunningAzurite, fresh_name, running_azurite
from cli import EXAMPLE
from deploy_process import environment, fabctl
from refusals import assert_user_error


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAzurite]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as running:
        yield running


@pytest.fixture
def azure(azurite: RunningAzurite) -> dict[str, str]:
    """Settings naming an Azure store no other test uses."""
    return {
        "FABCTL_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "FABCTL_STATE_TABLE": fresh_name("state"),
        "FABCTL_STATE_CONTAINER": fresh_name("blobs"),
    }


def run(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return fabctl(cwd, *args, env=environment(**settings))


def ok(cwd: Path, *args: str, **settings: str) -> Any:
    result = run(cwd, *args, "-o", "json", **settings)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def kinds(report: dict[str, Any]) -> dict[str, int]:
    return {entry["kind"]: entry["count"] for entry in report["kinds"]}


def deployed(cwd: Path) -> Path:
    """`cwd` with the example deployed to dev twice (the second changes a notebook, so its journal keeps
    the notebook's before-image): journals, before-images, deployment records, outbox messages. The local
    Fabric lives in `cwd/.fabctl`."""
    source = cwd / "source"
    shutil.copytree(EXAMPLE, source)
    ok(cwd, "deploy", str(source), "--env", "dev")
    notebook = source / "Notebooks" / "Load Sales.Notebook" / "notebook-content.py"
    notebook.write_text(notebook.read_text() + "\n# changed for a second deployment\n")
    ok(cwd, "deploy", str(source), "--env", "dev")
    return source


def test_a_deployments_state_moves_to_azure_and_back_and_tells_the_same_story(
    tmp_path: Path, azure: dict[str, str]
) -> None:
    source = deployed(tmp_path)
    history = ok(tmp_path, "tx", "list")

    report = ok(tmp_path, "state", "migrate", "--to", "azure", **azure)

    assert report["from"] == "sqlite" and report["to"] == "azure" and report["verified"] is True
    counts = kinds(report)
    assert counts["transaction"] == 2 == len(history)
    assert counts["step"] > 0 and counts["deployed_item"] > 0 and counts["outbox"] > 0 and counts["blob"] > 0
    # The SQLite file moves aside: from here on only Azure knows what was deployed.
    (tmp_path / ".fabctl" / "state.db").rename(tmp_path / "state.db.before")
    in_azure = {"FABCTL_STATE_STORE": "azure", **azure}
    assert ok(tmp_path, "tx", "list", **in_azure) == history
    plan = ok(tmp_path, "plan", str(source), "--env", "dev", **in_azure)
    assert plan["summary"]["no-op"] > 0 and plan["summary"]["create"] == plan["summary"]["update"] == 0

    back = ok(tmp_path, "state", "migrate", "--to", "sqlite", **azure)

    assert back["from"] == "azure" and back["kinds"] == report["kinds"]
    assert ok(tmp_path, "tx", "list") == history


def test_migrating_into_a_store_that_holds_state_is_refused_and_changes_nothing(
    tmp_path: Path, azure: dict[str, str]
) -> None:
    deployed(tmp_path)
    ok(tmp_path, "state", "migrate", "--to", "azure", **azure)
    state_file = tmp_path / ".fabctl" / "state.db"
    before = state_file.read_bytes()

    assert_user_error(run(tmp_path, "state", "migrate", "--to", "azure", **azure), "already holds state")
    assert_user_error(run(tmp_path, "state", "migrate", "--to", "sqlite", **azure), "already holds state")

    assert state_file.read_bytes() == before


def test_migrating_without_local_state_is_refused_naming_the_state_folder(
    tmp_path: Path, azure: dict[str, str]
) -> None:
    line = assert_user_error(run(tmp_path, "state", "migrate", "--to", "azure", **azure), "no local state")

    assert "state.db" in line
