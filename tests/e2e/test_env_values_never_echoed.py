"""A value that came from `$ENV:NAME` is never printed in an error (issue 11): errors name the variable.

Each case puts a secret in an environment variable, uses it where fabric-cicd users do (a connection
id, a JSONPath, an item name, a regex, a filter) so that the deployment is refused, and checks that
stderr and the `-o json` document name `$ENV:NAME` and never hold the value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_process import RunningEmulator
from sources import (
    DEV_WORKSPACE,
    SOURCE,
    api,
    calls,
    fabctl,
    new_source,
    notebook,
    one_error_line,
    write_file,
    write_item,
    writes_since,
)

SECRET = "s3cr3t-6d0c4e1a-7b2f-4c3d-9e8a-000000000000"
CONNECTION = "6d0c4e1a-7b2f-4c3d-9e8a-0000000000aa"  # a GUID no connection of the emulator has

CASES = {
    "regex-matching-nothing": (
        "find_replace:\n  - {find_value: '$ENV:SECRET_VALUE', replace_value: {dev: x}, is_regex: 'true'}\n",
        SECRET + "-(\\d+)",
    ),
    "literal-matching-nothing": (
        "find_replace:\n  - {find_value: '$ENV:SECRET_VALUE', replace_value: {dev: x}}\n",
        SECRET,
    ),
    "jsonpath-malformed": (
        "key_value_replace:\n  - {find_key: '$ENV:SECRET_VALUE', replace_value: {dev: x}}\n",
        "$." + SECRET + "[",
    ),
    "jsonpath-matching-nothing": (
        "key_value_replace:\n  - {find_key: '$ENV:SECRET_VALUE', replace_value: {dev: x}}\n",
        "$.x['" + SECRET + "']",
    ),
    "unknown-item-name": (
        "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$items.Notebook.$ENV:SECRET_VALUE.$id'}}\n",
        SECRET,
    ),
    "unknown-item-type-filter": (
        "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: x}, item_type: '$ENV:SECRET_VALUE'}\n",
        "Notebookk" + SECRET,
    ),
    "unknown-pool-name": (
        "spark_pool:\n  - instance_pool_id: dev-pool\n"
        "    replace_value: {dev: {type: Workspace, name: '$ENV:SECRET_VALUE'}}\n",
        SECRET,
    ),
    "unknown-connection": (
        "semantic_model_binding:\n  default:\n    connection_id: {dev: '$ENV:SECRET_VALUE'}\n",
        CONNECTION,
    ),
}


def source_using(cwd: Path, parameters: str) -> None:
    root = new_source(cwd)
    write_file(root / "parameter.yml", parameters)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    write_item(root, "VariableLibrary", "Vars", {"variables.json": json.dumps({"variables": []})})
    write_item(root, "Environment", "Spark", {"Setting/Sparkcompute.yml": "instance_pool_id: dev-pool\n"})
    model = {"definition.pbism": '{"version": "4.2"}\n', "definition/model.tmdl": "model Model\n"}
    write_item(root, "SemanticModel", "Sales", model)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_an_error_names_the_variable_never_its_value(
    tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, case: str, command: str
) -> None:
    parameters, secret = CASES[case]
    monkeypatch.setenv("SECRET_VALUE", secret)
    source_using(tmp_path, parameters)
    api(emulator, "POST", "workspaces", {"displayName": DEV_WORKSPACE})  # its pools are known at plan time
    before = calls(emulator)

    text = fabctl(tmp_path, emulator, command, SOURCE, "--env", "dev")
    as_json = fabctl(tmp_path, emulator, command, SOURCE, "--env", "dev", "-o", "json")

    line = one_error_line(text)
    assert "$ENV:SECRET_VALUE" in line
    assert as_json.returncode == 2
    message = json.loads(as_json.stdout)["error"]["message"]
    assert "$ENV:SECRET_VALUE" in message
    for output in (text.stdout, text.stderr, as_json.stdout, as_json.stderr):
        assert secret not in output
        assert SECRET not in output and CONNECTION not in output
    assert writes_since(emulator, before) == {}


def test_a_plan_diff_shows_the_variable_where_its_value_lands(
    tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_VALUE", SECRET)
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Load", notebook("x = 'TOKEN'"))
    fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev").check_returncode()
    rule = "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$ENV:SECRET_VALUE'}}\n"
    write_file(root / "parameter.yml", rule)

    text = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev", "--diff")
    as_json = fabctl(tmp_path, emulator, "plan", SOURCE, "--env", "dev", "--diff", "-o", "json")

    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    diff = json.loads(as_json.stdout)["diffs"]["Load.Notebook"]["notebook-content.py"]
    assert "+x = '$ENV:SECRET_VALUE'" in diff and "-x = 'TOKEN'" in diff
    assert "+x = '$ENV:SECRET_VALUE'" in text.stdout
    assert SECRET not in text.stdout + text.stderr + as_json.stdout + as_json.stderr
