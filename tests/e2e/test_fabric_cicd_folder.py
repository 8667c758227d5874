"""A fabric-cicd user's folder deploys as fabric-cicd takes it (issue 11): a target workspace and an
environment name, no `workspace-config.yaml`; the environment name then only selects parameter.yml values.
"""

from __future__ import annotations

from pathlib import Path

from emulator_process import RunningEmulator
from sources import (
    SOURCE,
    api,
    calls,
    fabctl,
    fabctl_json,
    items,
    notebook,
    one_error_line,
    part,
    write_file,
    write_item,
    writes_since,
)

PARAMETERS = "find_replace:\n  - {find_value: TOKEN, replace_value: {PPE: ppe-value, PROD: prod-value}}\n"


def fabric_cicd_folder(cwd: Path) -> Path:
    """Items and a parameter.yml, as fabric-cicd users keep them: no workspace-config.yaml."""
    root = cwd / SOURCE
    write_file(root / "parameter.yml", PARAMETERS)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    return root


def loaded(emulator: RunningEmulator, workspace_name: str) -> str:
    return part(items(emulator, workspace_name)["Load.Notebook"], "notebook-content.py")


def test_workspace_id_and_env_deploy_a_folder_without_workspace_config(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    target = api(emulator, "POST", "workspaces", {"displayName": "Team PROD"})
    fabric_cicd_folder(tmp_path)
    here = ("--env", "PROD", "--workspace-id", target["id"])

    planned = fabctl_json(tmp_path, emulator, "plan", SOURCE, *here)
    fabctl_json(tmp_path, emulator, "deploy", SOURCE, *here)

    assert planned["summary"]["create"] == 1 and planned["workspace_id"] == target["id"]
    assert "x = 'prod-value'" in loaded(emulator, "Team PROD")


def test_workspace_name_and_env_deploy_a_folder_without_workspace_config(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    fabric_cicd_folder(tmp_path)

    fabctl_json(tmp_path, emulator, "deploy", SOURCE, "--env", "PPE", "--workspace", "Team PPE")

    assert "x = 'ppe-value'" in loaded(emulator, "Team PPE")


def test_without_a_target_a_folder_without_workspace_config_is_an_error_naming_the_file(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    fabric_cicd_folder(tmp_path)
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "PROD"))

    assert "workspace-config.yaml" in line and "--workspace-id" in line
    assert writes_since(emulator, before) == {}


def test_a_named_config_that_is_missing_stays_an_error_even_with_a_target(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    target = api(emulator, "POST", "workspaces", {"displayName": "Team PROD"})
    fabric_cicd_folder(tmp_path)
    before = calls(emulator)

    result = fabctl(
        tmp_path, emulator, "deploy", SOURCE, "--env", "PROD", "--workspace-id", target["id"], "--config", "nope.yml"
    )

    line = one_error_line(result)
    assert "nope.yml" in line and "not found" in line
    assert writes_since(emulator, before) == {}
