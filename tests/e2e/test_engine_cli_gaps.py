"""Issue 4's last points, through the real CLI against the emulator: throttling shared by the workers, a
protected environment rolls back by default, `--exclude` by folder path, and the text output of
`plan --refresh`. (The live display on a terminal is in test_engine_live_progress.py.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure, requests_log
from sources import (
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
    text_part,
    workspace,
    write_item,
    writes_since,
)

FAILED = 3  # the exit code of a deployment in which an item failed
PROD_WORKSPACE = "Engine (prod)"
TWO_ENVIRONMENTS = (
    'environments:\n  dev:\n    workspace: "Engine (dev)"\n'
    f'  prod:\n    workspace: "{PROD_WORKSPACE}"\n    protected: true\n'
)
FRESH_LAKE = "0f000000-0000-4000-8000-00000000000f"


# --- 2. throttling shared by the workers ------------------------------------------------------------

WORKERS = 8
JOBS = 16
# Requests per sliding window the emulator admits from one caller. A deploy of JOBS new notebooks
# needs at least one request per item, so it runs out; what it needs beyond the budget is less than
# the budget, so the next window has room for all of it and there is a single throttling episode.
BUDGET = 12
# A short window: Retry-After (the time until the window has room) is then a few seconds, not a minute.
WINDOW_S = 3.0
ITEMS_ROUTE = "POST /v1/workspaces/{workspaceId}/items"


def test_throttled_workers_all_wait_for_retry_after_instead_of_hammering(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    for index in range(JOBS):
        write_item(root, "Notebook", f"Job {index:02}", notebook(f"print({index})"))
    configure(emulator, throttle_rpm=BUDGET, throttle_window_s=WINDOW_S)

    result = deploy(tmp_path, emulator, "--workers", str(WORKERS))

    assert result["state"] == "committed", result
    held = items(emulator)
    assert sorted(held) == [f"Job {index:02}.Notebook" for index in range(JOBS)]
    assert "print(15)" in part(held["Job 15.Notebook"], "notebook-content.py")
    log = requests_log(emulator)
    # The budget ran out: the deploy was throttled (else this test shows nothing).
    assert log["throttled"] >= 1, log
    # A 429 closes the gateway's single gate until Retry-After, and every worker passes that gate
    # before each request: once the first 429 is back, no worker sends until the window has room.
    # Only requests already on the wire when the budget ran out can be refused, at most one per
    # worker, and all but the first of those reach the emulator while it is blocking ("early").
    # A worker that did not wait for Retry-After would be refused again and again until the window moved.
    assert log["throttled"] <= WORKERS, log
    assert log["earlyRetries"] < WORKERS, log
    # Each refused create was sent again once, and no create was made twice.
    assert log["byRoute"][ITEMS_ROUTE] == JOBS + log["throttled"], log


# --- 3. a protected environment rolls back by default ---------------------------------------------


def second_version_fails(tmp_path: Path, emulator: RunningEmulator, environment: str) -> tuple[Any, Any]:
    """Deploy a first version to `environment`, then a second one, with no `--on-error`, that creates a
    lakehouse in a new folder, moves an existing lakehouse there with a new description, and creates a
    notebook that fails.

    Lakehouses are written without a definition and synchronously: the injected operation failures
    never reach them, and planning them reads no definition (which would fail too). The notebook names
    both lakehouses' logical ids, so it depends on them and is only tried once they are done, whatever
    the order of the workers. Returns the workspace as the first version left it, and the second
    deploy's JSON document.
    """
    name = PROD_WORKSPACE if environment == "prod" else "Engine (dev)"
    root = new_source(tmp_path, TWO_ENVIRONMENTS)
    kept = write_item(root, "Lakehouse", "Kept", description="first version")
    write_item(root, "Notebook", "Load", notebook("print('first version')"))
    fabctl_json(tmp_path, emulator, "deploy", SOURCE, "--env", environment)
    first = workspace(emulator, name)

    shutil.rmtree(root / "Kept.Lakehouse")
    write_item(root, "Lakehouse", "Kept", folder="Data", logical_id=kept, description="second version")
    write_item(root, "Lakehouse", "Fresh", folder="Data", logical_id=FRESH_LAKE)
    write_item(root, "Notebook", "Uses Both", notebook(f"print('{kept}', '{FRESH_LAKE}')"))
    configure(emulator, lro_share=1.0, fault_rate=1.0, fault_kinds=["failed-operation"])
    second = fabctl_json(tmp_path, emulator, "deploy", SOURCE, "--env", environment, expect_code=FAILED)
    return first, second


def statuses(result: Any) -> dict[str, str]:
    return {o["item"]: o["status"] for o in result["outcomes"] if o["action"] != "create_folder"}


def test_a_protected_environment_rolls_back_a_failed_deploy_without_being_asked(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    first, second = second_version_fails(tmp_path, emulator, "prod")

    assert second["state"] == "rolled_back", second
    assert statuses(second) == {
        "Fresh.Lakehouse": "undone",
        "Kept.Lakehouse": "undone",
        "Load.Notebook": "unchanged",
        "Uses Both.Notebook": "failed",
    }
    # Names, ids, descriptions, folders and every definition part: exactly what the first version left.
    assert workspace(emulator, PROD_WORKSPACE) == first


def test_an_unprotected_environment_is_not_rolled_back_and_keeps_what_was_done(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    # The default there is to stop. Nothing here is independent of the failed notebook, so stopping
    # and continuing end alike; test_engine_execution.py tells them apart with explicit flags.
    first, second = second_version_fails(tmp_path, emulator, "dev")

    assert second["state"] not in ("rolled_back", "committed"), second
    assert statuses(second) == {
        "Fresh.Lakehouse": "done",
        "Kept.Lakehouse": "done",
        "Load.Notebook": "unchanged",
        "Uses Both.Notebook": "failed",
    }
    held = items(emulator)
    assert sorted(held) == ["Fresh.Lakehouse", "Kept.Lakehouse", "Load.Notebook"]
    assert held["Fresh.Lakehouse"]["folder"] == held["Kept.Lakehouse"]["folder"] == "Data"
    assert held["Kept.Lakehouse"]["description"] == "second version"
    was = {f"{i['displayName']}.{i['type']}": i for i in first["items"]}
    assert held["Kept.Lakehouse"]["id"] == was["Kept.Lakehouse"]["id"]
    assert held["Load.Notebook"] == was["Load.Notebook"]


# --- 4. --exclude by folder path --------------------------------------------------------------------


def test_exclude_by_folder_path_leaves_out_that_folder_and_its_subfolders_only(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("print(1)"), folder="Staging")
    write_item(root, "Notebook", "Archive", notebook("print(2)"), folder="Staging/Old")
    write_item(root, "Notebook", "Copy", notebook("print(3)"), folder="Live/Staging")  # same name, not at the top
    write_item(root, "Notebook", "Report", notebook("print(4)"), folder="StagingArea")  # same prefix
    write_item(root, "Notebook", "Staging Notes", notebook("print(5)"))  # name alike, no folder

    def deployed(name: str, *patterns: str) -> dict[str, str]:
        deploy(tmp_path, emulator, "--workspace", name, *(f"--exclude={p}" for p in patterns))
        return {key: item.get("folder", "") for key, item in items(emulator, name).items()}

    assert deployed("Without Staging", "Staging") == {
        "Copy.Notebook": "Live/Staging",
        "Report.Notebook": "StagingArea",
        "Staging Notes.Notebook": "",
    }
    assert sorted(f["path"] for f in workspace(emulator, "Without Staging")["folders"]) == [
        "Live",
        "Live/Staging",
        "StagingArea",
    ]
    assert deployed("Without the old", "Staging/Old") == {
        "Load.Notebook": "Staging",
        "Copy.Notebook": "Live/Staging",
        "Report.Notebook": "StagingArea",
        "Staging Notes.Notebook": "",
    }
    # A regex over the whole path: any folder named Staging below another one.
    assert sorted(deployed("Without nested", ".*/Staging")) == [
        "Archive.Notebook",
        "Load.Notebook",
        "Report.Notebook",
        "Staging Notes.Notebook",
    ]


# --- 5. the text output of plan --refresh -----------------------------------------------------------


def plan_rows(text: str) -> dict[str, str]:
    """The plan table's rows as item -> the whole row, e.g. {"Touched.Notebook": "update  Touched..."}."""
    rows = [re.match(r"^(create|update|delete|no-op)\s+(\S+\.\w+)\s", line) for line in text.splitlines()]
    return {m.group(2): m.string for m in rows if m}


def test_plan_refresh_in_text_names_the_item_changed_by_hand_as_drifted(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Touched", notebook("print('as in git')"))
    write_item(root, "Notebook", "Untouched", notebook("print('also in git')"))
    deploy(tmp_path, emulator)
    touched = items(emulator)["Touched.Notebook"]
    by_hand = {"definition": {"parts": [text_part("notebook-content.py", "print('edited in the portal')\n")]}}
    api(emulator, "POST", f"workspaces/{workspace(emulator)['id']}/items/{touched['id']}/updateDefinition", by_hand)
    before = calls(emulator)

    trusting = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev")
    refreshed = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev", "--refresh")

    assert trusting.returncode == 0 and refreshed.returncode == 0, trusting.stderr + refreshed.stderr
    assert writes_since(emulator, before) == {}
    # fabctl's recorded hashes cannot see the edit: both items are no-ops.
    assert {item: row.split()[0] for item, row in plan_rows(trusting.stdout).items()} == {
        "Touched.Notebook": "no-op",
        "Untouched.Notebook": "no-op",
    }
    assert "drift" not in trusting.stdout
    assert re.search(r"\b0 update\b", trusting.stdout), trusting.stdout
    # Read live, the edit shows: that item will be updated, and the row says why.
    rows = plan_rows(refreshed.stdout)
    assert {item: row.split()[0] for item, row in rows.items()} == {
        "Touched.Notebook": "update",
        "Untouched.Notebook": "no-op",
    }, refreshed.stdout
    assert "drift" in rows["Touched.Notebook"] and "notebook-content.py" in rows["Touched.Notebook"], rows
    assert "drift" not in rows["Untouched.Notebook"]
    assert re.search(r"\b1 update\b", refreshed.stdout), refreshed.stdout
    assert "edited in the portal" in part(items(emulator)["Touched.Notebook"], "notebook-content.py")
