"""A lakehouse's `shortcuts.metadata.json`, through the real CLI against the emulator: its shortcuts
are planned, created, updated and deleted with the lakehouse, parameterized like any part, left alone
by a no-op redeploy, rolled back and reverted exactly; a bad file is refused before any write."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from cli import run_json
from emulator_process import RunningEmulator, snapshot
from sources import (
    SOURCE,
    ZERO_GUID,
    api,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    one_error_line,
    plan,
    workspace,
    write_file,
    write_item,
    writes_since,
)

FAILED = 3
SHORTCUT_ROUTES = ("POST /v1/workspaces/{workspaceId}/items/{itemId}/shortcuts",)
PARAMETERS = """\
find_replace:
  - find_value: "Files/landing-dev"
    replace_value: {dev: "Files/landing-prod"}
    file_path: "**/shortcuts.metadata.json"
key_value_replace:
  - find_key: "$[0].target.oneLake.path"
    replace_value: {dev: "Tables/sales_dev"}
    item_type: Lakehouse
"""


def _shortcut(path: str, name: str, item_id: str, target_path: str, workspace_id: str = ZERO_GUID) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "target": {"type": "OneLake", "oneLake": {"workspaceId": workspace_id, "itemId": item_id, "path": target_path}},
    }


def _write_shortcuts(root: Path, lakehouse: str, shortcuts: list[dict[str, Any]] | str) -> None:
    text = shortcuts if isinstance(shortcuts, str) else json.dumps(shortcuts, indent=2)
    write_file(root / f"{lakehouse}.Lakehouse" / "shortcuts.metadata.json", text)


def _source(tmp_path: Path, *, parameters: bool = False) -> tuple[Path, str]:
    """Bronze and Silver lakehouses; Silver's file: one shortcut to Bronze (by its logical id), one to
    Silver itself (the zero GUID) whose target path a parameter may rewrite. Returns the root and Bronze's id."""
    root = new_source(tmp_path)
    if parameters:
        write_file(root / "parameter.yml", PARAMETERS)
    bronze = write_item(root, "Lakehouse", "Bronze")
    write_item(root, "Lakehouse", "Silver")
    _write_shortcuts(
        root,
        "Silver",
        [
            _shortcut("Tables", "sales", bronze, "Tables/sales"),
            _shortcut("Files/raw", "landing", ZERO_GUID, "Files/landing-dev"),
        ],
    )
    return root, bronze


def _live(emulator: RunningEmulator, lakehouse: str) -> dict[str, tuple[str, str, str]]:
    """The lakehouse's shortcuts as Fabric lists them: address -> (workspace id, item id, target path)."""
    held = items(emulator)[f"{lakehouse}.Lakehouse"]
    listed = api(emulator, "GET", f"workspaces/{_ws(emulator)}/items/{held['id']}/shortcuts")
    return {
        f"{s['path']}/{s['name']}": (
            s["target"]["oneLake"]["workspaceId"],
            s["target"]["oneLake"]["itemId"],
            s["target"]["oneLake"]["path"],
        )
        for s in listed["value"]
    }


def _ws(emulator: RunningEmulator) -> str:
    return str(workspace(emulator)["id"])


def _change(planned: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in planned["changes"] if c["key"] == key)
    return found


def _shortcut_writes(emulator: RunningEmulator, before: dict[str, int]) -> dict[str, int]:
    return {r: n for r, n in writes_since(emulator, before).items() if "/shortcuts" in r}


def test_shortcuts_are_planned_created_with_ids_and_parameters_then_left_alone(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    _source(tmp_path, parameters=True)
    planned = plan(tmp_path, emulator)
    assert _change(planned, "Silver.Lakehouse")["shortcuts"] == [
        "create shortcut Tables/sales",
        "create shortcut Files/raw/landing",
    ]
    assert _change(planned, "Bronze.Lakehouse")["shortcuts"] == []

    deploy(tmp_path, emulator)
    ws, held = _ws(emulator), items(emulator)
    assert _live(emulator, "Silver") == {
        "Tables/sales": (ws, held["Bronze.Lakehouse"]["id"], "Tables/sales_dev"),  # key_value_replace
        "Files/raw/landing": (ws, held["Silver.Lakehouse"]["id"], "Files/landing-prod"),  # find_replace
    }

    again = plan(tmp_path, emulator)
    assert _change(again, "Silver.Lakehouse")["kind"] == "no-op"
    before = calls(emulator)
    deploy(tmp_path, emulator)
    assert _shortcut_writes(emulator, before) == {}


def test_a_changed_file_updates_creates_and_deletes_shortcuts_even_ones_made_by_hand(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root, bronze = _source(tmp_path)
    deploy(tmp_path, emulator)
    ws, held = _ws(emulator), items(emulator)
    silver = held["Silver.Lakehouse"]["id"]
    by_hand = _shortcut("Files", "scratch", held["Bronze.Lakehouse"]["id"], "Files/tmp", ws)
    api(emulator, "POST", f"workspaces/{ws}/items/{silver}/shortcuts", by_hand)
    _write_shortcuts(
        root,
        "Silver",
        [_shortcut("Tables", "sales", bronze, "Tables/orders"), _shortcut("Files", "more", bronze, "Files/more")],
    )

    planned = plan(tmp_path, emulator)
    change = _change(planned, "Silver.Lakehouse")
    assert change["kind"] == "update"
    assert change["shortcuts"] == [
        "delete shortcut Files/raw/landing",
        "delete shortcut Files/scratch",
        "update shortcut Tables/sales",
        "create shortcut Files/more",
    ]
    deploy(tmp_path, emulator)
    bronze_id = held["Bronze.Lakehouse"]["id"]
    assert _live(emulator, "Silver") == {
        "Tables/sales": (ws, bronze_id, "Tables/orders"),
        "Files/more": (ws, bronze_id, "Files/more"),
    }


def test_a_lakehouse_without_the_file_keeps_its_shortcuts_an_empty_file_deletes_them(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root, _ = _source(tmp_path)
    deploy(tmp_path, emulator)
    (root / "Silver.Lakehouse" / "shortcuts.metadata.json").unlink()
    before = calls(emulator)
    deploy(tmp_path, emulator)
    assert _shortcut_writes(emulator, before) == {}
    assert set(_live(emulator, "Silver")) == {"Tables/sales", "Files/raw/landing"}

    _write_shortcuts(root, "Silver", [])  # present and empty: no shortcuts at all
    planned = plan(tmp_path, emulator)
    assert _change(planned, "Silver.Lakehouse")["shortcuts"] == [
        "delete shortcut Files/raw/landing",
        "delete shortcut Tables/sales",
    ]
    deploy(tmp_path, emulator)
    assert _live(emulator, "Silver") == {}


def test_a_refused_shortcut_fails_the_lakehouse_and_the_rollback_restores_them(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root, bronze = _source(tmp_path)
    deploy(tmp_path, emulator)
    as_deployed = _live(emulator, "Silver")
    unreachable = str(uuid.uuid4())  # no such item in the tenant: Fabric answers 400
    _write_shortcuts(
        root,
        "Silver",
        [_shortcut("Tables", "sales", bronze, "Tables/orders"), _shortcut("Files", "gone", unreachable, "Files/x")],
    )
    result = fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", "--on-error", "rollback", "--output", "json")
    assert result.returncode == FAILED, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["state"] == "rolled_back"
    assert "Silver.Lakehouse" in report["error"] and unreachable in report["error"]
    assert _live(emulator, "Silver") == as_deployed  # the deletes and the update undone, exactly


def test_tx_revert_puts_the_shortcuts_back(tmp_path: Path, emulator: RunningEmulator) -> None:
    root, bronze = _source(tmp_path)
    deploy(tmp_path, emulator)
    as_deployed = _live(emulator, "Silver")
    _write_shortcuts(root, "Silver", [_shortcut("Tables", "sales", bronze, "Tables/orders")])
    second = deploy(tmp_path, emulator)
    assert set(_live(emulator, "Silver")) == {"Tables/sales"}
    reverted = run_json(tmp_path, "tx", "revert", second["transaction_id"])
    assert reverted["state"] == "committed", reverted
    assert _live(emulator, "Silver") == as_deployed


def test_a_bad_shortcuts_file_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root, _ = _source(tmp_path)
    _write_shortcuts(root, "Silver", "[{not json")
    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))
    assert "Silver.Lakehouse/shortcuts.metadata.json" in line and "not valid JSON" in line

    _write_shortcuts(root, "Silver", [{"name": "sales", "path": "Tables", "target": {}}])
    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))
    assert "Silver.Lakehouse/shortcuts.metadata.json" in line and "field '[0].target'" in line

    _write_shortcuts(root, "Silver", [{"name": "sales", "path": "Elsewhere", "target": {"oneLake": {}}}])
    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))
    assert "field '[0].path'" in line
    assert snapshot(emulator)["workspaces"] == []  # refused while planning: nothing was written
