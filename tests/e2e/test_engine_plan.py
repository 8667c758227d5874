"""Plan and change detection, through the real CLI against the emulator: kinds and reasons, `--diff`, a
no-op redeploy that writes and downloads nothing, drift found with `--refresh`, and orphans."""

from __future__ import annotations

from pathlib import Path

from emulator_process import RunningEmulator
from sources import (
    GET_DEFINITION,
    SOURCE,
    api,
    calls,
    deploy,
    fabctl,
    fabctl_json,
    items,
    new_source,
    notebook,
    part,
    plan,
    platform,
    since,
    text_part,
    workspace,
    write_file,
    write_item,
    writes_since,
)

ADDED = "print('one more line')"


def test_plan_says_create_update_delete_and_no_op_with_reasons_and_diffs(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Edited", notebook("print(1)"))
    renamed_description = write_item(root, "Notebook", "Described", notebook("print(2)"), description="old words")
    write_item(root, "Notebook", "Gone", notebook("print(3)"))
    write_item(root, "Lakehouse", "Kept")
    deploy(tmp_path, emulator)
    with (root / "Edited.Notebook" / "notebook-content.py").open("a", encoding="utf-8") as file:
        file.write(ADDED + "\n")
    write_file(root / "Described.Notebook" / ".platform", platform("Notebook", "Described", renamed_description, "new"))
    (root / "Gone.Notebook" / ".platform").unlink()
    (root / "Gone.Notebook" / "notebook-content.py").unlink()
    (root / "Gone.Notebook").rmdir()
    write_item(root, "Notebook", "Fresh", notebook("print(4)"), folder="New")
    before = calls(emulator)

    planned = plan(tmp_path, emulator, "--delete-orphans", "--diff")
    text = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev", "--delete-orphans")

    assert writes_since(emulator, before) == {}
    changes = {c["key"]: c for c in planned["changes"]}
    assert {key: c["kind"] for key, c in changes.items()} == {
        "Edited.Notebook": "update",
        "Described.Notebook": "update",
        "Gone.Notebook": "delete",
        "Fresh.Notebook": "create",
        "Kept.Lakehouse": "no-op",
    }
    assert planned["summary"] == {"create": 1, "update": 2, "delete": 1, "no-op": 1}
    assert "notebook-content.py" in changes["Edited.Notebook"]["reason"]
    assert changes["Edited.Notebook"]["changed_parts"] == ["notebook-content.py"]
    assert "description" in changes["Described.Notebook"]["reason"]
    assert changes["Fresh.Notebook"]["reason"] and changes["Gone.Notebook"]["reason"]
    assert planned["folders_to_create"] == ["New"]
    assert list(planned["diffs"]) == ["Edited.Notebook"]
    diff = planned["diffs"]["Edited.Notebook"]["notebook-content.py"].splitlines()
    assert [line for line in diff[2:] if line.startswith(("+", "-"))] == ["+" + ADDED]
    assert text.returncode == 0, text.stderr
    for key in changes:
        assert key in text.stdout


def test_a_no_op_redeploy_writes_nothing_and_reads_no_definition(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    for index in range(4):
        write_item(root, "Notebook", f"Job {index}", notebook(f"print({index})"), folder="Jobs")
    write_item(root, "Lakehouse", "Lake")
    deploy(tmp_path, emulator)
    before = calls(emulator)

    again = deploy(tmp_path, emulator)
    planned = plan(tmp_path, emulator)

    made = since(emulator, before)
    assert writes_since(emulator, before) == {}, made
    assert GET_DEFINITION not in made, made
    assert again["state"] == "committed"
    assert {o["action"] for o in again["outcomes"]} == {"no-op"}
    assert planned["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": 5}


def test_refresh_finds_a_change_made_by_hand_and_deploy_repairs_it(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Touched", notebook("print('as in git')"))
    write_item(root, "Notebook", "Untouched", notebook("print('also in git')"))
    deploy(tmp_path, emulator)
    touched = items(emulator)["Touched.Notebook"]
    by_hand = {"definition": {"parts": [text_part("notebook-content.py", "print('edited in the portal')\n")]}}
    api(emulator, "POST", f"workspaces/{workspace(emulator)['id']}/items/{touched['id']}/updateDefinition", by_hand)

    trusting = plan(tmp_path, emulator)  # compares with what fabctl recorded: the edit is invisible
    refreshed = plan(tmp_path, emulator, "--refresh")
    repaired = deploy(tmp_path, emulator, "--refresh")

    assert trusting["summary"]["update"] == 0
    drift = {c["key"]: c for c in refreshed["changes"] if c["drift"]}
    assert list(drift) == ["Touched.Notebook"]
    assert drift["Touched.Notebook"]["kind"] == "update"
    assert "drift" in drift["Touched.Notebook"]["reason"], drift
    assert [o["item"] for o in repaired["outcomes"] if o["action"] == "update"] == ["Touched.Notebook"]
    assert "print('as in git')" in part(items(emulator)["Touched.Notebook"], "notebook-content.py")


def test_orphans_are_deleted_only_when_asked_owned_and_data_items_only_when_named(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    for name in ("Stays", "Leaves"):
        write_item(root, "Notebook", name, notebook(f"print('{name}')"))
    for name in ("Old Lake", "Older Lake"):
        write_item(root, "Lakehouse", name)
    deploy(tmp_path, emulator)
    # Two items in the workspace that this source never deployed: one by hand, one from another source.
    api(
        emulator, "POST", f"workspaces/{workspace(emulator)['id']}/items", {"displayName": "Manual", "type": "Notebook"}
    )
    other = new_source(tmp_path / "other-repo")
    write_item(other, "Notebook", "Foreign", notebook("print('another repository')"))
    fabctl_json(tmp_path, emulator, "deploy", "other-repo/src", "--env", "dev")
    for name in ("Leaves.Notebook", "Old Lake.Lakehouse", "Older Lake.Lakehouse"):
        for file in sorted((root / name).rglob("*"), reverse=True):
            file.unlink()
        (root / name).rmdir()
    everything = {"Stays.Notebook", "Leaves.Notebook", "Old Lake.Lakehouse", "Older Lake.Lakehouse", "Manual.Notebook"}
    everything.add("Foreign.Notebook")

    kept = deploy(tmp_path, emulator)
    assert set(items(emulator)) == everything
    assert all(o["action"] != "delete" for o in kept["outcomes"])

    before = calls(emulator)
    deleted = deploy(tmp_path, emulator, "--delete-orphans")
    assert set(items(emulator)) == everything - {"Leaves.Notebook"}
    assert [o["item"] for o in deleted["outcomes"] if o["action"] == "delete"] == ["Leaves.Notebook"]
    assert writes_since(emulator, before) == {"DELETE /v1/workspaces/{workspaceId}/items/{itemId}": 1}

    deploy(tmp_path, emulator, "--delete-orphans", "--delete-data-item", "Old Lake.Lakehouse")
    assert set(items(emulator)) == everything - {"Leaves.Notebook", "Old Lake.Lakehouse"}
