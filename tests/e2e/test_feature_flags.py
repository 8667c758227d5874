"""Feature flags through the real CLI against the emulator: each flag judged by its effect on a real deploy
(what the workspace holds afterwards), shown in the plan, recorded on the transaction, overridden by
FABCTL_FEATURE_<NAME>, and refused naming the file and field or the variable when wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from deploy_process import environment, fabctl
from emulator_process import RunningEmulator, configure, snapshot
from sources import (
    CONFIG,
    SOURCE,
    ZERO_GUID,
    api,
    items,
    new_source,
    notebook,
    part,
    text_part,
    workspace,
    write_file,
    write_item,
)

FAILED = 3
PROD = 'environments:\n  prod:\n    workspace: "Engine (prod)"\n    protected: true\n'


def run(cwd: Path, emulator: RunningEmulator, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`fabctl ARGS` against the emulator with `variables` set (and no other FABCTL_* one)."""
    env = environment(FABCTL_USER="dora", FABCTL_FABRIC_URL=emulator.url, **variables)
    result = fabctl(cwd, *args, env=env)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def run_json(cwd: Path, emulator: RunningEmulator, *args: str, code: int = 0, **variables: str) -> Any:
    result = run(cwd, emulator, *args, "-o", "json", **variables)
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def kinds(planned: dict[str, Any]) -> dict[str, str]:
    return {c["key"]: c["kind"] for c in planned["changes"]}


def test_the_flags_in_force_are_in_the_plan_and_on_the_transaction(tmp_path: Path, emulator: RunningEmulator) -> None:
    config = "features:\n  delete_orphans: true\n" + CONFIG + "    features: {refresh_before_deploy: true}\n"
    write_item(new_source(tmp_path, config), "Notebook", "Load", notebook("print(1)"))
    expected = {
        "rollback_on_failure": False, "delete_orphans": True, "deploy_shortcuts": True, "refresh_before_deploy": True,
        "publish_events": True,
    }  # fmt: skip

    planned = run_json(tmp_path, emulator, "plan", SOURCE, "--env", "dev")
    text = run(tmp_path, emulator, "plan", SOURCE, "--env", "dev").stdout
    deployed = run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")
    shown = run_json(tmp_path, emulator, "tx", "show", deployed["transaction_id"])
    shown_text = run(tmp_path, emulator, "tx", "show", deployed["transaction_id"]).stdout

    assert planned["features"] == expected
    line = (
        "features: rollback_on_failure off, delete_orphans on, deploy_shortcuts on, refresh_before_deploy on, "
        "publish_events on"
    )
    assert line in text, text
    assert line in shown_text, shown_text
    assert shown["features"] == expected


def first_then_failing(tmp_path: Path, emulator: RunningEmulator, config: str, env: str, **variables: str) -> Any:
    """A lakehouse deployed, then changed together with a new notebook whose write fails: the second result."""
    root = new_source(tmp_path, config)
    kept = write_item(root, "Lakehouse", "Kept", description="first version")
    run_json(tmp_path, emulator, "deploy", SOURCE, "--env", env)
    write_item(root, "Lakehouse", "Kept", logical_id=kept, description="second version")
    write_item(root, "Notebook", "Fails", notebook("print('never written')"))
    configure(emulator, lro_share=1.0, fault_rate=1.0, fault_kinds=["failed-operation"])  # every definition write
    return run_json(tmp_path, emulator, "deploy", SOURCE, "--env", env, code=FAILED, **variables)


def test_rollback_on_failure_rolls_back_an_unprotected_environment(tmp_path: Path, emulator: RunningEmulator) -> None:
    second = first_then_failing(tmp_path, emulator, CONFIG + "    features: {rollback_on_failure: true}\n", "dev")

    assert second["state"] == "rolled_back", second
    assert items(emulator)["Kept.Lakehouse"]["description"] == "first version"


def test_rollback_on_failure_off_by_variable_keeps_a_protected_environment_as_the_failure_left_it(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    second = first_then_failing(tmp_path, emulator, PROD, "prod", FABCTL_FEATURE_ROLLBACK_ON_FAILURE="no")

    assert second["state"] == "failed", second
    assert items(emulator, "Engine (prod)")["Kept.Lakehouse"]["description"] == "second version"


def test_delete_orphans_deletes_what_left_the_source(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Stays", notebook("print(1)"))
    gone = root / "Goes.Notebook"
    write_item(root, "Notebook", "Goes", notebook("print(2)"))
    run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")
    for path in sorted(gone.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    gone.rmdir()

    unflagged = run_json(tmp_path, emulator, "plan", SOURCE, "--env", "dev")
    write_file(root / "workspace-config.yaml", "features: {delete_orphans: true}\n" + CONFIG)
    run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")

    assert "Goes.Notebook" not in kinds(unflagged)  # without the flag (or --delete-orphans) it stays
    assert set(items(emulator)) == {"Stays.Notebook"}


def test_deploy_shortcuts_off_leaves_a_lakehouses_shortcuts_alone(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path, CONFIG + "    features:\n      deploy_shortcuts: false\n")
    write_item(root, "Lakehouse", "Silver")
    shortcut = {
        "name": "landing", "path": "Files/raw",
        "target": {"type": "OneLake", "oneLake": {"workspaceId": ZERO_GUID, "itemId": ZERO_GUID, "path": "Files/x"}},
    }  # fmt: skip
    write_file(root / "Silver.Lakehouse" / "shortcuts.metadata.json", json.dumps([shortcut]))

    planned = run_json(tmp_path, emulator, "plan", SOURCE, "--env", "dev")
    run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")
    silver = items(emulator)["Silver.Lakehouse"]
    live = api(emulator, "GET", f"workspaces/{workspace(emulator)['id']}/items/{silver['id']}/shortcuts")
    with_flag_on = run_json(tmp_path, emulator, "plan", SOURCE, "--env", "dev", FABCTL_FEATURE_DEPLOY_SHORTCUTS="1")

    assert next(c for c in planned["changes"] if c["key"] == "Silver.Lakehouse")["shortcuts"] == []
    assert live["value"] == []
    assert next(c for c in with_flag_on["changes"] if c["key"] == "Silver.Lakehouse")["shortcuts"] == [
        "create shortcut Files/raw/landing"
    ]


def test_refresh_before_deploy_overwrites_an_edit_made_in_the_workspace(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Touched", notebook("print('as in git')"))
    run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")
    touched = items(emulator)["Touched.Notebook"]
    by_hand = {"definition": {"parts": [text_part("notebook-content.py", "print('edited in the portal')\n")]}}
    api(emulator, "POST", f"workspaces/{workspace(emulator)['id']}/items/{touched['id']}/updateDefinition", by_hand)

    trusting = run_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")
    still_edited = part(items(emulator)["Touched.Notebook"], "notebook-content.py")
    refreshed = run_json(
        tmp_path, emulator, "deploy", SOURCE, "--env", "dev", FABCTL_FEATURE_REFRESH_BEFORE_DEPLOY="true"
    )

    assert "edited in the portal" in still_edited  # fabctl's records could not see the edit
    assert [o["status"] for o in trusting["outcomes"] if o["item"] == "Touched.Notebook"] in ([], ["unchanged"])
    assert "as in git" in part(items(emulator)["Touched.Notebook"], "notebook-content.py")
    assert refreshed["state"] == "committed"


def test_an_unknown_flag_is_refused_naming_the_file_and_the_field(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_item(
        new_source(tmp_path, CONFIG + "    features: {rollback_on_faliure: true}\n"), "Notebook", "A", notebook("")
    )

    result = run(tmp_path, emulator, "plan", SOURCE, "--env", "dev")

    assert result.returncode == 2
    assert "workspace-config.yaml, field 'environments.dev.features.rollback_on_faliure'" in result.stderr
    assert "unknown feature flag (did you mean 'rollback_on_failure'?); known: rollback_on_failure" in result.stderr


def test_a_bad_variable_is_refused_naming_it_and_nothing_is_written(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load", notebook("print(1)"))

    bad_value = run(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", FABCTL_FEATURE_DELETE_ORPHANS="maybe")
    bad_name = run(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", FABCTL_FEATURE_DELETE_ORPHAN="true")

    assert bad_value.returncode == 2 and "FABCTL_FEATURE_DELETE_ORPHANS: must be true or false" in bad_value.stderr
    assert bad_name.returncode == 2 and "FABCTL_FEATURE_DELETE_ORPHAN: is not a feature flag" in bad_name.stderr
    assert snapshot(emulator)["workspaces"] == []
