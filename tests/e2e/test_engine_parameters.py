"""fabric-cicd's parameter.yml, through the real CLI against the emulator: what arrives in the workspace."""

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

STORE = "devstore.dfs.core.windows.net"


FIND_REPLACE = f"""
find_replace:
  - find_value: "{STORE}"            # literal, notebooks only
    replace_value: {{dev: "teststore.dfs.core.windows.net", prod: "prodstore"}}
    item_type: Notebook
  - find_value: 'Sql\\.Database\\("([^"]*)",\\s*"Lake"\\)'   # only group 1 is replaced
    replace_value: {{dev: "sql-for-dev"}}
    is_regex: "true"
  - find_value: "alerts@dev.example"
    replace_value: {{dev: "alerts@test.example"}}
    ignore_case: "true"
  - find_value: "owner-token"
    replace_value: {{dev: "owner-of-load"}}
    item_name: Load
  - find_value: "path-token"
    replace_value: {{dev: "in-value-sets"}}
    file_path: "**/valueSets/*.json"
  - find_value: "region-token"
    replace_value: {{_ALL_: "westeurope"}}
key_value_replace:
  - find_key: $.variables[?(@.name=="Store")].value
    replace_value: {{dev: "kv-json"}}
    item_type: VariableLibrary
  - find_key: $.dynamic_executor_allocation.max_executors
    replace_value: {{dev: 7}}
    file_path: "**/Sparkcompute.yml"
extend: [common/secrets.yml]
"""
SECRETS = """
find_replace:
  - find_value: "secret-token"
    replace_value: {_ALL_: "$ENV:ENGINE_TEST_SECRET"}
"""
LOAD = f"""STORE = "{STORE}"
SERVER = Sql.Database("dev-sql", "Lake")
ALERT = "Alerts@Dev.EXAMPLE"
OWNER = "owner-token"
REGION = "region-token"
SECRET = "secret-token"
"""
VARIABLES = {"variables": [{"name": "Store", "value": STORE}, {"name": "Path", "value": "path-token"}]}
COMPUTE = "enable_native_execution_engine: false\ndynamic_executor_allocation:\n  enabled: true\n  max_executors: 2\n"


def test_find_replace_key_value_replace_extend_all_and_env(
    tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGINE_TEST_SECRET", "s3cr3t")
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", FIND_REPLACE)  # the default: SOURCE_DIR/parameter.yml
    write_file(root / "common" / "secrets.yml", SECRETS)
    write_item(root, "Notebook", "Load", notebook(LOAD), folder="Jobs")
    write_item(root, "Notebook", "Other", notebook(f'STORE = "{STORE}"\nOWNER = "owner-token"'))
    value_set = json.dumps({"overrides": [{"name": "Path", "value": "path-token"}]})
    variables = {"variables.json": json.dumps(VARIABLES), "valueSets/test.json": value_set}
    write_item(root, "VariableLibrary", "Vars", variables)
    write_item(root, "Environment", "Spark", {"Setting/Sparkcompute.yml": COMPUTE})

    deploy(tmp_path, emulator)

    held = items(emulator)
    load = part(held["Load.Notebook"], "notebook-content.py")
    assert 'STORE = "teststore.dfs.core.windows.net"' in load
    assert 'SERVER = Sql.Database("sql-for-dev", "Lake")' in load  # the rest of the match is kept
    assert 'ALERT = "alerts@test.example"' in load
    assert 'OWNER = "owner-of-load"' in load
    assert 'REGION = "westeurope"' in load
    assert 'SECRET = "s3cr3t"' in load  # from $ENV:, in an extended file
    other = part(held["Other.Notebook"], "notebook-content.py")
    assert 'STORE = "teststore.dfs.core.windows.net"' in other
    assert 'OWNER = "owner-token"' in other  # the rule names the item Load only
    variables_json = json.loads(part(held["Vars.VariableLibrary"], "variables.json"))
    # The literal rule is for notebooks; the JSONPath rule set the Store variable's value.
    assert variables_json["variables"] == [
        {"name": "Store", "value": "kv-json"},
        {"name": "Path", "value": "path-token"},
    ]
    assert json.loads(part(held["Vars.VariableLibrary"], "valueSets/test.json")) == {
        "overrides": [{"name": "Path", "value": "in-value-sets"}]
    }
    compute = part(held["Spark.Environment"], "Setting/Sparkcompute.yml")
    assert "max_executors: 7" in compute and "max_executors: 2" not in compute
    assert "enable_native_execution_engine: false" in compute


def test_dynamic_values_resolve_to_the_target_its_items_and_another_workspace(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    # Another team's workspace, made by hand, holding a notebook this source refers to.
    shared = api(emulator, "POST", "workspaces", {"displayName": "Shared"})
    common = api(emulator, "POST", f"workspaces/{shared['id']}/items", {"displayName": "Common", "type": "Notebook"})
    root = new_source(tmp_path)
    tokens = {
        "WS_ID": "$workspace.$id",
        "WS_NAME": "$workspace.$name",
        "LAKE_ID": "$items.Lakehouse.Lake.$id",
        "LAKE_SQL": "$items.Lakehouse.Lake.$sqlendpoint",
        "SHARED_ID": "$workspace.Shared.$id",
        "COMMON_ID": "$workspace.Shared.$items.Notebook.Common.$id",
    }
    rules = "".join(f"  - {{find_value: '{t}', replace_value: {{dev: '{v}'}}}}\n" for t, v in tokens.items())
    write_file(root / "parameter.yml", "find_replace:\n" + rules)
    write_item(root, "Lakehouse", "Lake", {"lakehouse.metadata.json": "{}\n"})
    write_item(root, "Notebook", "Uses", notebook("\n".join(f"{t.lower()} = '{t}'" for t in tokens)))

    deploy(tmp_path, emulator)  # one run into an empty workspace: the lakehouse is created by it

    target = workspace(emulator)
    lake = items(emulator)["Lake.Lakehouse"]
    endpoint = api(emulator, "GET", f"workspaces/{target['id']}/lakehouses/{lake['id']}")
    connection = endpoint["properties"]["sqlEndpointProperties"]["connectionString"]
    text = part(items(emulator)["Uses.Notebook"], "notebook-content.py")
    expected = {
        "WS_ID": target["id"],
        "WS_NAME": "Engine (dev)",
        "LAKE_ID": lake["id"],
        "LAKE_SQL": connection,
        "SHARED_ID": shared["id"],
        "COMMON_ID": common["id"],
    }
    for token, value in expected.items():
        assert f"{token.lower()} = '{value}'" in text, "\n".join(text.splitlines()[4:])


@pytest.mark.parametrize(
    ("rule", "fragments"),
    [
        ("- {find_value: 'nowhere-(\\d+)', replace_value: {dev: x}, is_regex: 'true'}", ["find_replace[0]"]),
        ("- {find_value: 'TOKEN', replace_value: {dev: '$items.Notebook.Missing.$id'}}", ["Missing.Notebook"]),
    ],
    ids=["regex-matching-nothing", "unknown-item"],
)
def test_a_rule_that_cannot_apply_fails_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, rule: str, fragments: list[str]
) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", "find_replace:\n  " + rule + "\n")
    write_item(root, "Lakehouse", "Lake")
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml" in line
    for fragment in fragments:
        assert fragment in line
    assert writes_since(emulator, before) == {}


def test_parameter_flag_replaces_the_default_file(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: default}}\n")
    write_file(tmp_path / "elsewhere.yml", "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: chosen}}\n")
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))

    deploy(tmp_path, emulator, "--parameter", "elsewhere.yml")

    assert "x = 'chosen'" in part(items(emulator)["Load.Notebook"], "notebook-content.py")
    deploy(tmp_path, emulator)  # without the flag: SOURCE_DIR/parameter.yml
    assert "x = 'default'" in part(items(emulator)["Load.Notebook"], "notebook-content.py")
