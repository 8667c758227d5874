"""Where a deployment goes, through the real CLI against the emulator: workspace-config.yaml by name or id,
capacity, scope and exclusions, fabric-cicd's config.yml, `--config`, `--workspace`, `--workspace-id`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from emulator_process import RunningEmulator, snapshot
from sources import (
    SOURCE,
    api,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    one_error_line,
    part,
    workspace,
    write_file,
    write_item,
    writes_since,
)


def write_mixed_source(root: Path) -> None:
    write_item(root, "Notebook", "Load", notebook("print(1)"))
    write_item(root, "Notebook", "Scratch Pad", notebook("print(2)"))
    write_item(root, "DataPipeline", "Run", {"pipeline-content.json": '{"properties": {"activities": []}}\n'})
    write_item(root, "Lakehouse", "Lake")
    write_item(root, "VariableLibrary", "Vars", {"variables.json": '{"variables": []}\n'})


def test_the_config_targets_a_workspace_by_name_on_its_capacity_within_scope_and_exclusions(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    (capacity,) = snapshot(emulator)["capacities"]
    config = (
        "item_types_in_scope: [Notebook, DataPipeline, Lakehouse]\n"
        "exclude: ['^Scratch']\n"
        "environments:\n"
        "  dev:\n"
        '    workspace: "Engine (dev)"\n'
        f"    capacity_id: {capacity['id']}\n"
        "    exclude: ['\\.Lakehouse$']\n"
    )
    write_mixed_source(new_source(tmp_path, config))

    result = deploy(tmp_path, emulator)  # no workspace flag: the target comes from the config file

    assert result["workspace_name"] == "Engine (dev)"
    target = workspace(emulator)
    assert target["capacityId"] == capacity["id"]
    assert sorted(items(emulator)) == ["Load.Notebook", "Run.DataPipeline"]


def test_an_unknown_capacity_fails_and_creates_nothing(tmp_path: Path, emulator: RunningEmulator) -> None:
    missing = "0f0f0f0f-1111-4222-8333-444455556666"
    config = f'environments:\n  dev:\n    workspace: "Engine (dev)"\n    capacity_id: {missing}\n'
    write_item(new_source(tmp_path, config), "Notebook", "Load", notebook("print(1)"))

    result = fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "workspace-config.yaml" in lines[0] and "environments.dev.capacity_id" in lines[0], lines
    assert missing in lines[0], lines
    assert snapshot(emulator)["workspaces"] == []


def test_a_config_given_with_config_targets_a_workspace_by_id(tmp_path: Path, emulator: RunningEmulator) -> None:
    handmade = api(emulator, "POST", "workspaces", {"displayName": "Handmade"})
    write_file(tmp_path / "settings" / "targets.yaml", f"environments:\n  dev: {{workspace_id: {handmade['id']}}}\n")
    root = tmp_path / SOURCE  # no workspace-config.yaml in the source: --config names the file
    write_item(root, "Notebook", "Load", notebook("print(1)"))

    result = deploy(tmp_path, emulator, "--config", "settings/targets.yaml")

    assert (result["workspace_id"], result["workspace_name"]) == (handmade["id"], "Handmade")
    assert sorted(items(emulator, "Handmade")) == ["Load.Notebook"]
    assert [w["displayName"] for w in snapshot(emulator)["workspaces"]] == ["Handmade"]


def test_fabric_cicd_config_yml_is_accepted(tmp_path: Path, emulator: RunningEmulator) -> None:
    handmade = api(emulator, "POST", "workspaces", {"displayName": "From config.yml"})
    config = (
        "core:\n"
        f"  workspace_id: {{dev: {handmade['id']}}}\n"
        "  item_types_in_scope: [Notebook, DataPipeline]\n"
        "publish:\n"
        "  exclude_regex: '^Scratch'\n"
    )
    write_file(tmp_path / "config.yml", config)
    write_mixed_source(tmp_path / SOURCE)

    deploy(tmp_path, emulator, "--config", "config.yml")

    assert sorted(items(emulator, "From config.yml")) == ["Load.Notebook", "Run.DataPipeline"]


def test_workspace_flags_override_the_config(tmp_path: Path, emulator: RunningEmulator) -> None:
    other = api(emulator, "POST", "workspaces", {"displayName": "Other"})
    write_item(new_source(tmp_path), "Notebook", "Load", notebook("print(1)"))

    by_name = deploy(tmp_path, emulator, "--workspace", "Engine (review)")
    by_id = deploy(tmp_path, emulator, "--workspace-id", other["id"])

    assert by_name["workspace_name"] == "Engine (review)"
    assert by_id["workspace_id"] == other["id"]
    assert sorted(w["displayName"] for w in snapshot(emulator)["workspaces"]) == ["Engine (review)", "Other"]
    assert list(items(emulator, "Engine (review)")) == list(items(emulator, "Other")) == ["Load.Notebook"]


def test_an_unknown_workspace_id_is_refused_and_writes_nothing(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load", notebook("print(1)"))
    missing = "0f0f0f0f-1111-4222-8333-444455556666"
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", "--workspace-id", missing))

    assert missing in line
    assert writes_since(emulator, before) == {}


def config_yml(workspace_id: str, extra: str = "") -> str:
    return f"core:\n  workspace_id: {{dev: {workspace_id}}}\n" + extra


def test_fabric_cicd_config_yml_names_the_parameter_file_it_reads(tmp_path: Path, emulator: RunningEmulator) -> None:
    # core.parameter is relative to config.yml, as fabric-cicd resolves it; --parameter would name another.
    handmade = api(emulator, "POST", "workspaces", {"displayName": "From config.yml"})
    write_file(tmp_path / "config.yml", config_yml(handmade["id"], "  parameter: params/dev.yml\n"))
    rule = "find_replace:\n  - find_value: 'print(1)'\n    replace_value: {dev: 'print(42)'}\n"
    write_file(tmp_path / "params" / "dev.yml", rule)
    write_item(tmp_path / SOURCE, "Notebook", "Load", notebook("print(1)"))

    deploy(tmp_path, emulator, "--config", "config.yml")

    assert "print(42)" in part(items(emulator, "From config.yml")["Load.Notebook"], "notebook-content.py")


def test_fabric_cicd_config_yml_naming_another_items_folder_is_refused(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    handmade = api(emulator, "POST", "workspaces", {"displayName": "From config.yml"})
    write_file(tmp_path / "config.yml", config_yml(handmade["id"], "  repository_directory: elsewhere\n"))
    (tmp_path / "elsewhere").mkdir()
    write_item(tmp_path / SOURCE, "Notebook", "Load", notebook("print(1)"))

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", "--config", "config.yml"))

    assert "config.yml" in line and "core.repository_directory" in line, line
    assert items(emulator, "From config.yml") == {}


@pytest.mark.parametrize(
    ("unpublish", "kept"),
    [("unpublish:\n  exclude_regex: '^Keep'\n", ["Keep Me.Notebook"]),
     ("unpublish:\n  skip: {dev: true}\n", ["Keep Me.Notebook", "Load.Notebook"])],
    ids=["exclude_regex", "skip"],
)  # fmt: skip
def test_fabric_cicd_config_yml_unpublish_settings_keep_orphans(
    tmp_path: Path, emulator: RunningEmulator, unpublish: str, kept: list[str]
) -> None:
    handmade = api(emulator, "POST", "workspaces", {"displayName": "From config.yml"})
    write_file(tmp_path / "config.yml", config_yml(handmade["id"], unpublish))
    root = tmp_path / SOURCE
    for name in ("Load", "Keep Me", "Stays"):
        write_item(root, "Notebook", name, notebook(f"print('{name}')"))
    deploy(tmp_path, emulator, "--config", "config.yml")
    for name in ("Load", "Keep Me"):  # both leave the source: orphans
        shutil.rmtree(root / f"{name}.Notebook")

    deploy(tmp_path, emulator, "--config", "config.yml", "--delete-orphans")

    assert sorted(items(emulator, "From config.yml")) == sorted([*kept, "Stays.Notebook"])
