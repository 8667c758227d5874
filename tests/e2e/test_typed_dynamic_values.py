"""`$items.<Type>.<Name>.$sqlendpoint` (and `$sqlendpointid`, `$queryserviceuri`) of every type fabric-cicd
1.4.0 reads them of, through the real CLI against the emulator: each is read from the item's typed route
(a Warehouse's `connectionString`, a SQL Database's `serverFqdn`, a Mirrored Database's SQL endpoint)."""

from __future__ import annotations

import json
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
    one_error_line,
    part,
    workspace,
    write_file,
    write_item,
    writes_since,
)

MIRRORING = json.dumps(
    {
        "properties": {
            "source": {"type": "GenericMirror", "typeProperties": {}},
            "target": {"type": "MountedRelationalDatabase", "typeProperties": {"format": "Delta"}},
        }
    }
)
SQL_PROJECT = '<Project Sdk="Microsoft.Build.Sql/0.1.19-preview"><PropertyGroup /></Project>\n'


def _source_with_typed_items(tmp_path: Path, tokens: dict[str, str]) -> None:
    root = new_source(tmp_path)
    rules = "".join(f"  - {{find_value: '{t}', replace_value: {{dev: '{v}'}}}}\n" for t, v in tokens.items())
    write_file(root / "parameter.yml", "find_replace:\n" + rules)
    write_item(root, "Warehouse", "Wh", {"Wh.sqlproj": SQL_PROJECT})
    write_item(root, "SQLDatabase", "Db", {"Db.sqlproj": SQL_PROJECT})
    write_item(root, "MirroredDatabase", "Mirror", {"mirroring.json": MIRRORING})
    write_item(root, "Notebook", "Uses", notebook("\n".join(f"{t.lower()} = '{t}'" for t in tokens)))


def test_sql_endpoints_of_a_warehouse_a_sql_database_and_a_mirrored_database(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    tokens = {
        "WH_SQL": "$items.Warehouse.Wh.$sqlendpoint",
        "DB_SQL": "$items.SQLDatabase.Db.$sqlendpoint",
        "MIRROR_SQL": "$items.MirroredDatabase.Mirror.$sqlendpoint",
        "MIRROR_ID": "$items.MirroredDatabase.Mirror.$sqlendpointid",
        "WH_LEGACY": "$items.Warehouse.Wh.sqlendpoint",  # the older form, without '$' before the attribute
    }
    _source_with_typed_items(tmp_path, tokens)

    deploy(tmp_path, emulator)  # one run into an empty workspace: the items are created by it

    target, held = workspace(emulator)["id"], items(emulator)
    warehouse = api(emulator, "GET", f"workspaces/{target}/warehouses/{held['Wh.Warehouse']['id']}")
    database = api(emulator, "GET", f"workspaces/{target}/sqlDatabases/{held['Db.SQLDatabase']['id']}")
    mirror = api(emulator, "GET", f"workspaces/{target}/mirroredDatabases/{held['Mirror.MirroredDatabase']['id']}")
    expected = {
        "WH_SQL": warehouse["properties"]["connectionString"],
        "DB_SQL": database["properties"]["serverFqdn"],
        "MIRROR_SQL": mirror["properties"]["sqlEndpointProperties"]["connectionString"],
        "MIRROR_ID": mirror["properties"]["sqlEndpointProperties"]["id"],
        "WH_LEGACY": warehouse["properties"]["connectionString"],
    }
    text = part(held["Uses.Notebook"], "notebook-content.py")
    for token, value in expected.items():
        assert value, token
        assert f"{token.lower()} = '{value}'" in text, "\n".join(text.splitlines()[4:])


@pytest.mark.parametrize(
    ("value", "types"),
    [
        ("$items.Warehouse.Wh.$sqlendpointid", "Lakehouse, MirroredDatabase"),
        ("$items.SQLDatabase.Db.$queryserviceuri", "Eventhouse"),
        ("$items.Notebook.Uses.$sqlendpoint", "Lakehouse, MirroredDatabase, Warehouse, SQLDatabase"),
    ],
    ids=["warehouse-sqlendpointid", "sqldatabase-queryserviceuri", "notebook-sqlendpoint"],
)
def test_an_attribute_the_type_does_not_have_fails_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, value: str, types: str
) -> None:
    _source_with_typed_items(tmp_path, {"TOKEN": value})
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml" in line
    assert value in line and types in line, line
    assert writes_since(emulator, before) == {}
