"""The domain's reading of `shortcuts.metadata.json` and the diff that makes live shortcuts match it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import ZERO_GUID
from fabctl.domain.shortcuts import (
    Shortcut,
    ShortcutChangeKind,
    ShortcutWrite,
    diff_shortcuts,
    parse_shortcuts,
    resolve_defaults,
)

WS = "aaaaaaaa-0000-0000-0000-000000000001"
LAKE = "bbbbbbbb-0000-0000-0000-000000000002"
OTHER = "cccccccc-0000-0000-0000-000000000003"
FILE = "src/Silver.Lakehouse/shortcuts.metadata.json"


def onelake(path: str, name: str, item: str = OTHER, target: str = "Tables/sales", ws: str = WS) -> Shortcut:
    return Shortcut(path, name, {"oneLake": {"workspaceId": ws, "itemId": item, "path": target}})


def entry(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "sales",
        "path": "Tables",
        "target": {"type": "OneLake", "oneLake": {"workspaceId": WS, "itemId": OTHER, "path": "Tables/sales"}},
    }
    body.update(overrides)
    return body


def test_the_file_is_read_with_its_read_only_type_dropped_and_paths_trimmed() -> None:
    text = json.dumps([entry(path="/Files/raw/"), entry(name="b")])
    assert parse_shortcuts(text, FILE) == (
        onelake("Files/raw", "sales"),
        onelake("Tables", "b"),
    )
    assert parse_shortcuts("", FILE) == () and parse_shortcuts("null", FILE) == ()


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("[{", "", "not valid JSON"),
        ('{"name": "x"}', "(root)", "JSON list"),
        ("[1]", "[0]", "an object"),
        (json.dumps([entry(name="")]), "[0].name", "non-empty string"),
        (json.dumps([entry(name="a/b")]), "[0].name", "'/'"),
        (json.dumps([entry(path="Other")]), "[0].path", "'Tables'"),
        (json.dumps([entry(target=None)]), "[0].target", "an object"),
        (json.dumps([entry(target={"oneLake": {}, "adlsGen2": {}})]), "[0].target", "exactly one"),
        (json.dumps([entry(target={"oneLake": {"itemId": OTHER, "path": "x"}})]), "[0].target.oneLake.workspaceId", ""),
        (json.dumps([entry(), entry()]), "[1].name", "declared once"),
    ],
)
def test_a_bad_file_names_itself_and_the_field(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidSource) as raised:
        parse_shortcuts(text, FILE)
    assert raised.value.subject == FILE
    assert raised.value.field == field
    assert words in raised.value.message


def test_zero_guids_mean_this_workspace_and_this_lakehouse() -> None:
    declared = (onelake("Tables", "self", ZERO_GUID, ws=ZERO_GUID), onelake("Tables", "other", OTHER, ws=OTHER))
    external = Shortcut(
        "Files", "s3", {"amazonS3": {"location": "https://b", "subpath": "/", "connectionId": ZERO_GUID}}
    )
    assert resolve_defaults((*declared, external), WS, LAKE) == (
        onelake("Tables", "self", LAKE, ws=WS),
        onelake("Tables", "other", OTHER, ws=OTHER),
        external,  # only a OneLake target's ids mean "this"
    )


def test_the_diff_deletes_first_then_creates_and_updates_in_file_order() -> None:
    live = [onelake("Files", "old"), onelake("Tables", "sales", target="Tables/sales"), onelake("Tables", "same")]
    desired = [
        onelake("Files", "new"),
        onelake("Tables", "sales", target="Tables/orders"),
        onelake("Tables", "same"),
    ]
    changes = diff_shortcuts(desired, live)
    assert [(c.kind, c.address) for c in changes] == [
        (ShortcutChangeKind.DELETE, "Files/old"),
        (ShortcutChangeKind.CREATE, "Files/new"),
        (ShortcutChangeKind.UPDATE, "Tables/sales"),
    ]
    assert changes[2].current == live[1] and changes[2].desired == desired[1]
    assert changes[0].desired is None and changes[1].current is None


def test_what_the_service_adds_or_spells_differently_is_no_difference() -> None:
    live = Shortcut.from_fabric(
        {
            "path": "Tables",
            "name": "sales",
            "target": {
                "type": "OneLake",
                "oneLake": {"workspaceId": WS.upper(), "itemId": OTHER, "path": "/Tables/sales", "connectionId": "x"},
            },
        }
    )
    assert diff_shortcuts([onelake("Tables", "sales")], [live]) == ()
    moved = Shortcut("Tables", "sales", {"adlsGen2": {"location": "https://a", "subpath": "/", "connectionId": "c"}})
    assert [c.kind for c in diff_shortcuts([moved], [live])] == [ShortcutChangeKind.UPDATE]


def test_a_journaled_write_survives_its_json() -> None:
    write = ShortcutWrite("Files/raw", "landing", onelake("Files/raw", "landing"), None)
    assert ShortcutWrite.from_json(json.loads(json.dumps(write.to_json()))) == write
