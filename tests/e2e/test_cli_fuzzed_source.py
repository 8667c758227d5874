"""Malformed source folders found by fuzzing, through the real CLI on the embedded local default.

Each was exit 1 with a traceback in the log (or a hang) before: now exit code 2, one line naming the
file, no traceback, and nothing changed (`refused_deploy_changes_nothing` deploys to test and checks
that the transactions, promotions, events and the plans of dev and test are as they were).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli import run, run_json
from refusals import (
    NOTEBOOK_PLATFORM,
    SOURCE,
    assert_user_error,
    field,
    read_json,
    refused_deploy_changes_nothing,
    write_json,
)

NOTEBOOK = "Notebooks/Load Sales.Notebook"


def test_json_nested_a_thousand_deep_in_platform_is_refused(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    platform = path.read_text(encoding="utf-8").rstrip()
    assert platform.endswith("}")
    path.write_text(platform[:-1] + ', "extra": ' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}")

    assert "nested too deeply" in line


def test_a_number_too_long_to_convert_in_platform_is_refused(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    platform = path.read_text(encoding="utf-8").rstrip()
    path.write_text(platform[:-1] + ', "n": ' + "9" * 5000 + "}", encoding="utf-8")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}")

    assert "digits" in line


def test_a_lone_surrogate_in_a_platform_name_is_refused(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    platform = read_json(path)
    platform["metadata"]["displayName"] = "Load \udc80Sales"
    path.write_text(json.dumps(platform), encoding="utf-8")  # ensure_ascii: written as the escape \udc80

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}", field("metadata.displayName"))

    assert "surrogate" in line


def test_undecodable_bytes_in_a_part_file_name_are_refused(deployed_dev: Path) -> None:
    folder = os.fsencode(deployed_dev / NOTEBOOK)
    with open(folder + b"/extra\xff.py", "wb") as part:
        part.write(b"print('x')\n")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK}/extra\\xff.py")

    assert "UTF-8" in line


def test_undecodable_bytes_in_a_folder_name_are_refused(deployed_dev: Path) -> None:
    folder = os.fsencode(deployed_dev) + b"/Sales\xfe"
    os.mkdir(folder)
    shutil.move(deployed_dev / NOTEBOOK, folder + b"/Load Sales.Notebook")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/Sales\\xfe")

    assert "UTF-8" in line


def test_a_fifo_in_an_item_folder_is_refused_without_reading_it(deployed_dev: Path) -> None:
    os.mkfifo(deployed_dev / NOTEBOOK / "pipe")  # opening it to read would wait for a writer forever

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK}/pipe")

    assert "not a regular file" in line


def test_a_device_in_an_item_folder_is_refused_without_reading_it(deployed_dev: Path) -> None:
    os.symlink("/dev/zero", deployed_dev / NOTEBOOK / "zeros")  # reading it would never end

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK}/zeros")

    assert "not a regular file" in line


def test_a_platform_file_that_is_a_fifo_is_refused_as_such(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    path.unlink()
    os.mkfifo(path)

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}")

    assert "not a regular file" in line


def test_a_folder_linked_back_into_itself_is_refused(deployed_dev: Path) -> None:
    os.symlink(".", deployed_dev / NOTEBOOK / "again")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK}/again")

    assert "links back" in line


def test_two_items_whose_names_differ_only_in_case_are_refused_at_plan_time(deployed_dev: Path) -> None:
    original = deployed_dev / NOTEBOOK
    twin = deployed_dev / "Notebooks" / "LOAD sales.Notebook"
    shutil.copytree(original, twin)
    platform = read_json(twin / ".platform")
    platform["metadata"]["displayName"] = "LOAD sales"
    platform["config"]["logicalId"] = "5b0d1d4e-54a4-4c5e-9c53-2b8d2d9b7f01"
    write_json(twin / ".platform", platform)

    line = refused_deploy_changes_nothing(
        deployed_dev,
        f"{SOURCE}/{NOTEBOOK_PLATFORM}",
        f"{SOURCE}/Notebooks/LOAD sales.Notebook/.platform",
        field("metadata.displayName"),
    )

    assert "case" in line
    assert_user_error(run(deployed_dev.parent, "plan", SOURCE, "--env", "test"), "LOAD sales", "Load Sales")


# --- an unknown item type where the selection or the configuration does not look ---------------

GADGET_PLATFORM = "Legacy/Old Thing.Gadget/.platform"


def add_gadget(workspace: Path) -> None:
    """An item of a type fabctl does not know, in its own folder `Legacy`."""
    folder = workspace / "Legacy" / "Old Thing.Gadget"
    folder.mkdir(parents=True)
    write_json(
        folder / ".platform",
        {
            "metadata": {"type": "Gadget", "displayName": "Old Thing"},
            "config": {"version": "2.0", "logicalId": "0d6c3e52-9a43-4c1b-8f7e-4a0f2b9c1d11"},
        },
    )
    (folder / "gadget.json").write_text("{}\n", encoding="utf-8")


@pytest.mark.parametrize(
    "selection",
    [("--exclude", "Legacy"), ("--folder", "Notebooks"), ("--type", "Notebook"), ("--item", "Load Sales")],
    ids=["exclude-folder", "other-folder", "other-type", "other-item"],
)
def test_an_unknown_type_outside_the_selection_does_not_block_the_rest(
    workspace: Path, selection: tuple[str, str]
) -> None:
    add_gadget(workspace)

    # What the selected items refer to comes along: left out, it would be a dangling reference.
    plan = run_json(workspace.parent, "plan", SOURCE, "--env", "dev", *selection, "--with-dependencies")

    keys = {change["key"] for change in plan["changes"]}
    assert "Old Thing.Gadget" not in keys
    assert "Load Sales.Notebook" in keys


@pytest.mark.parametrize(
    "scope",
    ['    exclude: "Gadget$"\n', "    item_types_in_scope: [Notebook, Lakehouse, Environment]\n"],
    ids=["config-exclude", "config-item-types"],
)
def test_an_unknown_type_the_configuration_leaves_out_does_not_block_a_deploy(workspace: Path, scope: str) -> None:
    add_gadget(workspace)
    config = workspace / "workspace-config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('    workspace: "Sales (dev)"\n', '    workspace: "Sales (dev)"\n' + scope), encoding="utf-8"
    )

    result = run(workspace.parent, "deploy", SOURCE, "--env", "dev")

    assert result.returncode == 0, result.stdout + result.stderr
    deployed = run_json(workspace.parent, "plan", SOURCE, "--env", "dev")
    assert {change["kind"] for change in deployed["changes"]} == {"no-op"}
    assert "Old Thing.Gadget" not in {change["key"] for change in deployed["changes"]}


@pytest.mark.parametrize("selection", [(), ("--folder", "Legacy"), ("--item", "Old Thing.Gadget")], ids=str)
def test_an_unknown_type_that_is_selected_is_refused_naming_its_platform_file(
    workspace: Path, selection: tuple[str, ...]
) -> None:
    add_gadget(workspace)

    line = assert_user_error(
        run(workspace.parent, "plan", SOURCE, "--env", "dev", *selection),
        f"{SOURCE}/{GADGET_PLATFORM}",
        field("metadata.type"),
    )

    assert "unknown item type 'Gadget'" in line


def test_a_promotion_of_other_items_is_not_blocked_by_an_unknown_type(workspace: Path) -> None:
    add_gadget(workspace)
    cwd = workspace.parent
    assert run(cwd, "deploy", SOURCE, "--env", "dev", "--exclude", "Legacy").returncode == 0

    request = run_json(cwd, "promote", "request", SOURCE, "--from", "dev", "--item", "Load Sales.Notebook")
    assert [item["key"] for item in request["items"]] == ["Load Sales.Notebook"]

    assert_user_error(  # a request for everything would take the unknown type in
        run(cwd, "promote", "request", SOURCE, "--from", "dev"), f"{SOURCE}/{GADGET_PLATFORM}", field("metadata.type")
    )
