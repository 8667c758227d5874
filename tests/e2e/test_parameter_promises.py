"""parameter.yml keeps its promises, through the real CLI against the emulator (issue 11).

A named parameter file that is missing, a literal `find_value` or a `spark_pool` pool id that matches
nothing, and a dynamic value fabctl does not know are errors before any write; every dynamic value
fabric-cicd documents resolves to what the emulator holds; `key_value_replace` selects what
jsonpath-ng's `ext` parser selects (fabric-cicd's JSONPath).
"""

from __future__ import annotations

import json
import urllib.parse
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


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_a_parameter_file_that_is_named_but_missing_is_an_error_naming_it(
    tmp_path: Path, emulator: RunningEmulator, command: str
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, command, SOURCE, "--env", "dev", "--parameter", "nope.yml"))

    assert "nope.yml" in line and "not found" in line
    assert writes_since(emulator, before) == {}


def test_without_the_flag_a_missing_default_parameter_file_means_no_rules(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))

    deploy(tmp_path, emulator)

    assert "x = 'TOKEN'" in part(items(emulator)["Load.Notebook"], "notebook-content.py")


@pytest.mark.parametrize("ignore_case", ["false", "true"])
def test_a_literal_find_value_matching_nothing_fails_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, ignore_case: str
) -> None:
    root = new_source(tmp_path)
    rule = f"  - {{find_value: 'not-in-any-item', replace_value: {{dev: x}}, ignore_case: '{ignore_case}'}}\n"
    write_file(root / "parameter.yml", "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: y}}\n" + rule)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml: find_replace[1]" in line and "'find_value'" in line
    assert "'not-in-any-item' matched nothing" in line
    assert writes_since(emulator, before) == {}


def test_a_literal_rule_without_a_value_for_the_environment_is_not_checked(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", "find_replace:\n  - {find_value: 'not-there', replace_value: {prod: x}}\n")
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))

    deploy(tmp_path, emulator)

    assert "Load.Notebook" in items(emulator)


def test_a_spark_pool_rule_whose_pool_id_matches_no_environment_fails_before_any_write(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    rules = (
        "spark_pool:\n  - instance_pool_id: 'a-pool-no-environment-uses'\n"
        "    replace_value: {dev: {type: Workspace, name: 'Starter Pool'}}\n"
    )
    write_file(root / "parameter.yml", rules)
    write_item(root, "Environment", "Spark", {"Setting/Sparkcompute.yml": "instance_pool_id: another-pool\n"})
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml: spark_pool[0]" in line and "'instance_pool_id'" in line
    assert "'a-pool-no-environment-uses' matched nothing" in line
    assert writes_since(emulator, before) == {}


def test_every_dynamic_value_fabric_cicd_documents_resolves(tmp_path: Path, emulator: RunningEmulator) -> None:
    shared = api(emulator, "POST", "workspaces", {"displayName": "Shared"})
    far = api(emulator, "POST", f"workspaces/{shared['id']}/items", {"displayName": "Far", "type": "Lakehouse"})
    root = new_source(tmp_path)
    tokens = {
        "LAKE_ID_LEGACY": "$items.Lakehouse.Lake.id",
        "LAKE_SQL_LEGACY": "$items.Lakehouse.Lake.sqlendpoint",
        "LAKE_SQL_ID": "$items.Lakehouse.Lake.$sqlendpointid",
        "EVENTS_URI": "$items.Eventhouse.Events.$queryserviceuri",
        "WS_ID_LEGACY": "$workspace.id",
        "WS_NAME_ENCODED": "$workspace.$name_encoded",
        "SHARED_BARE": "$workspace.Shared",
        "FAR_SQL": "$workspace.Shared.$items.Lakehouse.Far.$sqlendpoint",
        "FAR_ENDPOINT_ID": "$workspace.Shared.$items.Lakehouse.Far.$sqlendpointid",
    }
    rules = "".join(f"  - {{find_value: '{t}', replace_value: {{dev: '{v}'}}}}\n" for t, v in tokens.items())
    write_file(root / "parameter.yml", "find_replace:\n" + rules)
    write_item(root, "Lakehouse", "Lake", {"lakehouse.metadata.json": "{}\n"})
    write_item(root, "Eventhouse", "Events")
    write_item(root, "Notebook", "Uses", notebook("\n".join(f"{t.lower()} = '{t}'" for t in tokens)))

    deploy(tmp_path, emulator)  # one run into an empty workspace: lakehouse and eventhouse are created by it

    target = workspace(emulator)
    held = items(emulator)
    lake = api(emulator, "GET", f"workspaces/{target['id']}/lakehouses/{held['Lake.Lakehouse']['id']}")
    events = api(emulator, "GET", f"workspaces/{target['id']}/eventhouses/{held['Events.Eventhouse']['id']}")
    far_lake = api(emulator, "GET", f"workspaces/{shared['id']}/lakehouses/{far['id']}")
    expected = {
        "LAKE_ID_LEGACY": held["Lake.Lakehouse"]["id"],
        "LAKE_SQL_LEGACY": lake["properties"]["sqlEndpointProperties"]["connectionString"],
        "LAKE_SQL_ID": lake["properties"]["sqlEndpointProperties"]["id"],
        "EVENTS_URI": events["properties"]["queryServiceUri"],
        "WS_ID_LEGACY": target["id"],
        "WS_NAME_ENCODED": urllib.parse.quote("Engine (dev)", safe=""),
        "SHARED_BARE": shared["id"],
        "FAR_SQL": far_lake["properties"]["sqlEndpointProperties"]["connectionString"],
        "FAR_ENDPOINT_ID": far_lake["properties"]["sqlEndpointProperties"]["id"],
    }
    assert all(expected.values()), expected
    text = part(held["Uses.Notebook"], "notebook-content.py")
    for token, value in expected.items():
        assert f"{token.lower()} = '{value}'" in text, "\n".join(text.splitlines()[4:])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("$items.Notebook.Uses.$nope", "'$items.Notebook.Uses.$nope'"),
        ("$itemz.Notebook.Uses.$id", "'$itemz.Notebook.Uses.$id'"),
        ("$workspace.$nope", "'$workspace.$nope'"),
        ("$items.Notebook.Uses.$sqlendpoint", "Lakehouse"),
    ],
)
def test_a_dynamic_value_fabctl_does_not_know_is_an_error_naming_it_and_the_known_forms(
    tmp_path: Path, emulator: RunningEmulator, value: str, fragment: str
) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", f"find_replace:\n  - {{find_value: TOKEN, replace_value: {{dev: '{value}'}}}}\n")
    write_item(root, "Notebook", "Uses", notebook("x = 'TOKEN'"))
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml: find_replace[0]" in line and fragment in line
    assert "$items.<Type>.<Name>.$id" in line or "Lakehouse" in line  # the forms it knows, or the type it needs
    assert writes_since(emulator, before) == {}


def test_an_unknown_dynamic_value_lists_every_form_fabctl_knows(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$nonsense'}}\n")
    write_item(root, "Notebook", "Uses", notebook("x = 'TOKEN'"))

    line = one_error_line(fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev"))

    for form in (
        "$workspace.$id",
        "$workspace.id",
        "$workspace.$name",
        "$workspace.$name_encoded",
        "$workspace.<name>",
        "$workspace.<name>.$id",
        "$items.<Type>.<Name>.$id",
        "$sqlendpoint",
        "$sqlendpointid",
        "$queryserviceuri",
        "$workspace.<name>.$items.<Type>.<Name>.$<attribute>",
    ):
        assert form in line, form


VARIABLES = {
    "variables": [
        {"name": "Environment", "type": "String", "value": "DEV"},
        {"name": "Retries", "type": "Integer", "value": 3},
        {"name": "Timeout", "type": "Integer", "value": 30},
    ]
}


def test_key_value_replace_selects_what_jsonpath_ng_ext_selects(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    # A comparison and a regex filter: jsonpath-ng's `ext` parser (fabric-cicd's) has both.
    rules = (
        "key_value_replace:\n"
        "  - find_key: $.variables[?(@.value > 10)].value\n"
        "    replace_value: {dev: 60}\n"
        '  - find_key: $.variables[?(@.name =~ "Env.*")].value\n'
        "    replace_value: {dev: TEST}\n"
    )
    write_file(root / "parameter.yml", rules)
    write_item(root, "VariableLibrary", "Vars", {"variables.json": json.dumps(VARIABLES, indent=2)})

    deploy(tmp_path, emulator)

    held = json.loads(part(items(emulator)["Vars.VariableLibrary"], "variables.json"))
    assert [v["value"] for v in held["variables"]] == ["TEST", 3, 60]


def test_a_jsonpath_that_cannot_be_evaluated_on_a_part_is_one_error_naming_the_rule(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    # jsonpath-ng compares with int() when the literal is a number: a dict value cannot be compared.
    rules = "key_value_replace:\n  - find_key: $.variables[?(@.value > 10)].value\n    replace_value: {dev: 1}\n"
    write_file(root / "parameter.yml", rules)
    document = {"variables": [{"name": "Nested", "value": {"a": 1}}]}
    write_item(root, "VariableLibrary", "Vars", {"variables.json": json.dumps(document)})
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/parameter.yml: key_value_replace[0]" in line and "find_key" in line
    assert "Vars.VariableLibrary/variables.json" in line
    assert writes_since(emulator, before) == {}


@pytest.mark.parametrize("syntax", ["json", "yaml"])
def test_a_part_nested_too_deeply_to_edit_is_one_error_naming_it(
    tmp_path: Path, emulator: RunningEmulator, syntax: str
) -> None:
    root = new_source(tmp_path)
    write_file(root / "parameter.yml", "key_value_replace:\n  - find_key: $.a\n    replace_value: {dev: 1}\n")
    deep = "[" * 5000 + "]" * 5000
    part_name = "variables.json" if syntax == "json" else "valueSets/deep.yml"
    text = deep if syntax == "json" else "a: " + deep + "\n"
    write_item(root, "VariableLibrary", "Vars", {"variables.json": '{"a": 0}', part_name: text})
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert part_name in line and "nested too deeply" in line, line
    assert writes_since(emulator, before) == {}
