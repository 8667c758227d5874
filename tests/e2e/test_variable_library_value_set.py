"""A Variable Library's active value set through the real CLI against the emulator: after deploying a
library, fabctl activates the value set named like the target environment when settings.json lists it
in valueSetsOrder, else "Default value set", as fabric-cicd 1.4.0 does (ADR 0028). Planned, skipped
when the right set is active already, journaled, rolled back and reverted.

The emulator keeps each library's active set (`GET .../variableLibraries/{id}`, and the snapshot's
`activeValueSetName`); its request log counts the activations (`PATCH .../VariableLibraries/{id}`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli import run_json
from emulator_process import RunningEmulator, configure
from sources import (
    SOURCE,
    api,
    calls,
    deploy,
    fabctl,
    fabctl_json,
    items,
    new_source,
    one_error_line,
    plan,
    since,
    workspace,
    write_file,
    write_item,
    writes_since,
)

FAILED = 3  # the exit code of a deployment in which an item failed
ACTIVATE = "PATCH /v1/workspaces/{workspaceId}/VariableLibraries/{itemId}"
DEFAULT = "Default value set"
PROTECTED = 'environments:\n  dev:\n    workspace: "Engine (dev)"\n    protected: true\n'


def library(*value_sets: str) -> dict[str, str]:
    parts = {
        "variables.json": json.dumps({"variables": [{"name": "stage", "type": "String", "value": "none"}]}),
        "settings.json": json.dumps({"valueSetsOrder": list(value_sets)}),
    }
    for name in value_sets:
        overrides = {"name": name, "variableOverrides": [{"name": "stage", "value": name}]}
        parts[f"valueSets/{name}.json"] = json.dumps(overrides)
    return parts


def active(emulator: RunningEmulator, name: str = "Vars") -> str:
    """The library's active value set, as its typed route shows it."""
    library_id = items(emulator)[f"{name}.VariableLibrary"]["id"]
    body = api(emulator, "GET", f"workspaces/{workspace(emulator)['id']}/variableLibraries/{library_id}")
    return str(body["properties"]["activeValueSetName"])


def change_of(result: Any, key: str = "Vars.VariableLibrary") -> dict[str, Any]:
    [change] = [c for c in result["changes"] if c["key"] == key]
    return dict(change)


def test_the_set_named_like_the_environment_is_activated_and_planned(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "VariableLibrary", "Vars", library("test", "dev"))

    planned = plan(tmp_path, emulator)
    deployed = deploy(tmp_path, emulator)

    assert (change_of(planned)["kind"], change_of(planned)["value_set"]) == ("create", "dev")
    assert "activate value set 'dev'" in change_of(planned)["reason"]
    assert active(emulator) == "dev"
    [held] = [i for i in workspace(emulator)["items"] if i["type"] == "VariableLibrary"]
    assert held["activeValueSetName"] == "dev"
    steps = run_json(tmp_path, "tx", "show", deployed["transaction_id"])["steps"]
    [step] = [s for s in steps if s["action"] == "activate_value_set"]
    assert (step["outcome"], step["value_set"]) == ("succeeded", {"before": DEFAULT, "after": "dev"})


def test_an_environment_not_in_value_sets_order_gets_the_default_set(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "VariableLibrary", "Vars", library("test", "prod"))
    deploy(tmp_path, emulator)
    by_hand = {"properties": {"activeValueSetName": "prod"}}
    library_id = items(emulator)["Vars.VariableLibrary"]["id"]
    api(emulator, "PATCH", f"workspaces/{workspace(emulator)['id']}/VariableLibraries/{library_id}", by_hand)

    fixed = deploy(tmp_path, emulator)  # set by hand since: the unchanged library becomes an update

    assert change_of(fixed["plan"])["kind"] == "update"
    assert "value set 'prod' is active: activate 'Default value set'" in change_of(fixed["plan"])["reason"]
    assert active(emulator) == DEFAULT


def test_a_redeploy_with_the_right_set_active_makes_no_activation(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "VariableLibrary", "Vars", library("dev"))
    deploy(tmp_path, emulator)
    before = calls(emulator)

    again = deploy(tmp_path, emulator)

    assert change_of(again["plan"])["kind"] == "no-op" and change_of(again["plan"])["value_set"] is None
    assert ACTIVATE not in since(emulator, before)
    assert writes_since(emulator, before) == {}
    assert active(emulator) == "dev"


def test_a_rolled_back_deploy_puts_the_previous_set_back(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path, PROTECTED)
    # The environment's settings name the library, so the library is deployed (and activated) before it.
    write_file(
        root / "parameter.yml",
        "find_replace:\n  - {find_value: LIB_ID, replace_value: {dev: '$items.VariableLibrary.Vars.$id'}}\n",
    )
    vars_id = write_item(root, "VariableLibrary", "Vars", library("test"))
    settings = "Setting/Sparkcompute.yml"
    spark = write_item(root, "Environment", "Spark", {settings: "# library LIB_ID\ndriver_cores: 4\n"})
    deploy(tmp_path, emulator)
    assert active(emulator) == DEFAULT
    before = calls(emulator)

    configure(emulator, failing_publishes=["Spark"])
    write_item(root, "VariableLibrary", "Vars", library("test", "dev"), logical_id=vars_id)
    write_item(root, "Environment", "Spark", {settings: "# library LIB_ID\ndriver_cores: 8\n"}, logical_id=spark)
    failed = deploy(tmp_path, emulator, "--workers", "1", expect_code=FAILED)

    assert failed["state"] == "rolled_back", failed
    assert change_of(failed["plan"])["value_set"] == "dev"
    assert since(emulator, before)[ACTIVATE] == 2  # dev activated, then the default set put back
    assert active(emulator) == DEFAULT
    held = items(emulator)["Vars.VariableLibrary"]
    assert "valueSets/dev.json" not in [p["path"] for p in held["definition"]["parts"]]  # restored first


def test_a_reverted_deploy_puts_the_previous_set_back(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    vars_id = write_item(root, "VariableLibrary", "Vars", library("test"))
    deploy(tmp_path, emulator)
    write_item(root, "VariableLibrary", "Vars", library("test", "dev"), logical_id=vars_id)
    second = deploy(tmp_path, emulator)
    assert active(emulator) == "dev"

    reverted = fabctl_json(tmp_path, emulator, "tx", "revert", second["transaction_id"])

    assert reverted["state"] == "committed", reverted
    assert active(emulator) == DEFAULT


def test_a_settings_file_without_value_sets_order_fails_before_any_write(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "VariableLibrary", "Vars", {**library("dev"), "settings.json": '{"valueSetsOrder": "dev"}'})
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert "Vars.VariableLibrary/settings.json" in line and "valueSetsOrder" in line, line
    assert writes_since(emulator, before) == {}
