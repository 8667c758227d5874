"""Orphan ownership does not depend on how the source folder is spelled: relative, absolute, with
`./` and a trailing slash, or through a symlink, the same folder owns the items it deployed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli import run, run_json


def spelled(workspace: Path, cwd: Path, spelling: str) -> str:
    if spelling == "absolute":
        return str(workspace.resolve())
    if spelling == "dot-slash-trailing":
        return f"./{workspace.name}/"
    link = cwd / "link-to-source"
    link.symlink_to(workspace, target_is_directory=True)
    return link.name


@pytest.mark.parametrize("spelling", ["absolute", "dot-slash-trailing", "symlink"])
def test_the_same_folder_spelled_another_way_deletes_its_orphans(
    workspace: Path, tmp_path: Path, spelling: str
) -> None:
    first = run(tmp_path, "deploy", workspace.name, "--env", "dev")
    assert first.returncode == 0, first.stderr
    shutil.rmtree(workspace / "Sales Report.Report")  # nothing refers to the report: it is simply gone

    result = run_json(tmp_path, "deploy", spelled(workspace, tmp_path, spelling), "--env", "dev", "--delete-orphans")

    deleted = [o["item"] for o in result["outcomes"] if o["action"] == "delete" and o["status"] == "done"]
    assert deleted == ["Sales Report.Report"], result["outcomes"]


def test_a_copy_of_the_folder_elsewhere_is_another_owner(workspace: Path, tmp_path: Path) -> None:
    assert run(tmp_path, "deploy", workspace.name, "--env", "dev").returncode == 0
    copy = tmp_path / "elsewhere" / workspace.name
    shutil.copytree(workspace, copy)
    shutil.rmtree(copy / "Sales Report.Report")

    result = run_json(tmp_path, "deploy", str(copy.relative_to(tmp_path)), "--env", "dev", "--delete-orphans")

    assert result["plan"]["changes"] and all(c["kind"] != "delete" for c in result["plan"]["changes"])
