"""A deployment never leaves a logical id in a definition (issue 11), through the real CLI and the emulator.

A reference to an item that is neither deployed by the run nor already in the target is refused
before any write, by plan and deploy alike, naming the referring item, its file and the missing item;
`--allow-dangling` turns it into a warning. An item removed from the source but still in the target
binds to its real id through fabctl's deployment record.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from emulator_process import RunningEmulator
from sources import (
    SOURCE,
    api,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    notebook_activity,
    one_error_line,
    part,
    pipeline_running,
    plan,
    workspace,
    write_file,
    write_item,
    writes_since,
)

NOTEBOOK_ID = "0b7c6a51-1d2e-4f30-8a4b-5c6d7e8f9a01"
PIPELINE_PART = "pipeline-content.json"


def pipeline_calling_the_notebook(root: Path, version: str = "1") -> None:
    activity = notebook_activity(NOTEBOOK_ID)
    activity["description"] = f"version {version}"
    write_item(root, "DataPipeline", "Daily", pipeline_running([activity]))


def notebook_id_in_the_pipeline(emulator: RunningEmulator) -> str:
    content = json.loads(part(items(emulator)["Daily.DataPipeline"], PIPELINE_PART))
    value: str = content["properties"]["activities"][0]["typeProperties"]["notebookId"]
    return value


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_a_selective_deploy_without_the_referenced_item_is_refused_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, command: str
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    before = calls(emulator)

    result = fabctl(tmp_path, emulator, command, SOURCE, "--env", "dev", "--item", "Daily.DataPipeline")

    line = one_error_line(result)
    assert "Daily.DataPipeline" in line and "Load.Notebook" in line
    assert f"Daily.DataPipeline/{PIPELINE_PART}" in line
    assert "--with-dependencies" in line and "--allow-dangling" in line
    assert writes_since(emulator, before) == {}


def test_allow_dangling_makes_it_a_warning_in_plan_and_deploy(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    selective = ("--item", "Daily.DataPipeline", "--allow-dangling")

    planned = plan(tmp_path, emulator, *selective)
    text = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev", *selective)
    deployed = deploy(tmp_path, emulator, *selective)

    for document in (planned, deployed["plan"]):
        (warning,) = document["warnings"]
        assert "Daily.DataPipeline" in warning and "Load.Notebook" in warning
    assert text.returncode == 0 and "warning: " in text.stderr and "Load.Notebook" in text.stderr
    assert set(items(emulator)) == {"Daily.DataPipeline"}
    assert notebook_id_in_the_pipeline(emulator) == NOTEBOOK_ID  # asked for: the logical id stays


def test_with_dependencies_deploys_the_referenced_item_and_binds_it(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)

    deploy(tmp_path, emulator, "--item", "Daily.DataPipeline", "--with-dependencies")

    assert notebook_id_in_the_pipeline(emulator) == items(emulator)["Load.Notebook"]["id"]


def test_an_item_removed_from_the_source_but_still_deployed_binds_through_the_record(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    deploy(tmp_path, emulator)
    notebook_real_id = items(emulator)["Load.Notebook"]["id"]
    shutil.rmtree(root / "Load.Notebook")  # moved to another repository, say; still in the workspace
    pipeline_calling_the_notebook(root, version="2")  # the pipeline changes: it is written again

    deploy(tmp_path, emulator)

    assert "version 2" in part(items(emulator)["Daily.DataPipeline"], PIPELINE_PART)
    assert notebook_id_in_the_pipeline(emulator) == notebook_real_id


def test_deleting_an_orphan_that_a_written_item_still_refers_to_is_refused(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    deploy(tmp_path, emulator)
    shutil.rmtree(root / "Load.Notebook")
    pipeline_calling_the_notebook(root, version="2")
    before = calls(emulator)

    # --delete-orphans would delete the notebook the pipeline still calls.
    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", "--delete-orphans"))

    assert "Daily.DataPipeline" in line and "Load.Notebook" in line and f"Daily.DataPipeline/{PIPELINE_PART}" in line
    assert writes_since(emulator, before) == {}
    assert "Load.Notebook" in items(emulator)


def test_an_item_removed_from_the_source_and_deleted_from_the_workspace_is_refused(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    deploy(tmp_path, emulator)
    held = items(emulator)
    api(emulator, "DELETE", f"workspaces/{workspace(emulator)['id']}/items/{held['Load.Notebook']['id']}")
    shutil.rmtree(root / "Load.Notebook")
    pipeline_calling_the_notebook(root, version="2")
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev"))

    assert "Daily.DataPipeline" in line and "Load.Notebook" in line and f"Daily.DataPipeline/{PIPELINE_PART}" in line
    assert writes_since(emulator, before) == {}


def test_an_item_the_config_excludes_is_a_dangling_reference(tmp_path: Path, emulator: RunningEmulator) -> None:
    config = 'environments:\n  dev:\n    workspace: "Engine (dev)"\n    exclude: ["Load\\\\.Notebook"]\n'
    root = new_source(tmp_path, config)
    write_item(root, "Notebook", "Load", notebook("x = 1"), logical_id=NOTEBOOK_ID)
    pipeline_calling_the_notebook(root)
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert "Daily.DataPipeline" in line and "Load.Notebook" in line
    assert writes_since(emulator, before) == {}


def test_an_items_value_naming_an_item_left_out_is_refused_before_any_write(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    rule = "find_replace:\n  - {find_value: LAKE, replace_value: {dev: '$items.Lakehouse.Lake.$id'}}\n"
    write_file(root / "parameter.yml", rule)
    write_item(root, "Lakehouse", "Lake")
    write_item(root, "Notebook", "Uses", notebook("lake = 'LAKE'"))
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", "--item", "Uses.Notebook"))

    assert "Uses.Notebook" in line and "Lake.Lakehouse" in line and "Uses.Notebook/notebook-content.py" in line
    assert writes_since(emulator, before) == {}


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (("--delete-orphans", "--delete-data-item", "Nope.Lakehouse"), "Nope.Lakehouse"),
        (("--delete-orphans", "--delete-data-item", "Kept.Lakehouse"), "Kept.Lakehouse"),
        (("--delete-data-item", "Old.Lakehouse"), "--delete-orphans"),
    ],
    ids=["names-no-item", "still-in-the-source", "without-delete-orphans"],
)
def test_delete_data_item_naming_nothing_to_delete_is_an_error(
    tmp_path: Path, emulator: RunningEmulator, flags: tuple[str, ...], fragment: str
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Lakehouse", "Old")
    write_item(root, "Lakehouse", "Kept")
    deploy(tmp_path, emulator)
    shutil.rmtree(root / "Old.Lakehouse")
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", *flags))

    assert fragment in line and "--delete-data-item" in line
    assert writes_since(emulator, before) == {}


def test_delete_data_item_naming_an_orphan_lakehouse_deletes_it(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Lakehouse", "Old")
    write_item(root, "Notebook", "Keep", notebook("x = 1"))
    deploy(tmp_path, emulator)
    shutil.rmtree(root / "Old.Lakehouse")

    deploy(tmp_path, emulator, "--delete-orphans", "--delete-data-item", "Old.Lakehouse")

    assert set(items(emulator)) == {"Keep.Notebook"}
