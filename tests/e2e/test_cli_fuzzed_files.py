"""Malformed YAML files, regular expressions and `extend` entries found by fuzzing, through the real CLI.

Each was exit 1 with a traceback in the log (or a hang) before: now exit code 2, one line naming the
file and field (or the option), no traceback, and nothing changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli import run
from refusals import (
    SOURCE,
    assert_user_error,
    field,
    plans,
    refused_deploy_changes_nothing,
    state,
)

PARAMETERS = f"{SOURCE}/parameter.yml"
CONFIG = f"{SOURCE}/workspace-config.yaml"
OVERFLOWING = "a{99999999999}"  # well-formed, but its count does not fit re's repetition counter
TOO_DEEP = "(" * 1000 + ")" * 1000  # well-formed, but deeper than re's parser recurses


def write(workspace: Path, name: str, text: str) -> None:
    (workspace / name).write_text(text, encoding="utf-8")


def append_to_test_environment(workspace: Path, lines: str) -> None:
    config = workspace / "workspace-config.yaml"
    text = config.read_text(encoding="utf-8")
    marker = '    workspace: "Sales (test)"\n'
    assert marker in text
    config.write_text(text.replace(marker, marker + lines), encoding="utf-8")


# --- lone surrogates --------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_parameter_value_is_refused(deployed_dev: Path) -> None:
    write(
        deployed_dev, "parameter.yml", 'find_replace:\n  - find_value: "sales\\udc80"\n    replace_value: {test: x}\n'
    )

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS, field("find_replace[0].find_value"))

    assert "surrogate" in line


def test_a_lone_surrogate_in_an_environment_name_is_refused(deployed_dev: Path) -> None:
    config = deployed_dev / "workspace-config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + '  "qa\\ud800": {workspace: "QA"}\n', encoding="utf-8")

    line = refused_deploy_changes_nothing(deployed_dev, CONFIG, "environments")

    assert "surrogate" in line


def test_a_lone_surrogate_in_a_workspace_name_is_refused(deployed_dev: Path) -> None:
    config = deployed_dev / "workspace-config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('"Sales (test)"', '"Sales \\udc80(test)"'), encoding="utf-8")

    line = refused_deploy_changes_nothing(deployed_dev, CONFIG, field("environments.test.workspace"))

    assert "surrogate" in line


# --- regular expressions, from every place one can come from ----------------------------------


@pytest.mark.parametrize("pattern", [OVERFLOWING, TOO_DEEP], ids=["overflow", "too-deep"])
def test_a_parameter_regex_re_cannot_compile_is_refused(deployed_dev: Path, pattern: str) -> None:
    write(
        deployed_dev,
        "parameter.yml",
        f"find_replace:\n  - find_value: '{pattern}'\n    is_regex: 'true'\n    replace_value: {{test: x}}\n",
    )

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS, field("find_replace[0].find_value"))

    assert "invalid regex" in line


@pytest.mark.parametrize("pattern", [OVERFLOWING, TOO_DEEP], ids=["overflow", "too-deep"])
def test_a_workspace_config_exclude_re_cannot_compile_is_refused(deployed_dev: Path, pattern: str) -> None:
    append_to_test_environment(deployed_dev, f"    exclude: '{pattern}'\n")

    line = refused_deploy_changes_nothing(deployed_dev, CONFIG, field("environments.test.exclude[0]"))

    assert "invalid regex" in line


@pytest.mark.parametrize("setting", ["exclude_regex", "folder_exclude_regex"])
def test_a_fabric_cicd_config_regex_re_cannot_compile_is_refused(deployed_dev: Path, setting: str) -> None:
    write(
        deployed_dev,
        "config.yml",
        f'core:\n  workspace: {{dev: "Sales (dev)", test: "Sales (test)"}}\npublish:\n  {setting}: "{OVERFLOWING}"\n',
    )
    cwd = deployed_dev.parent

    line = assert_user_error(
        run(cwd, "deploy", SOURCE, "--env", "test", "--config", f"{SOURCE}/config.yml"),
        f"{SOURCE}/config.yml",
        field(f"publish.{setting}"),
    )

    assert "invalid regex" in line


@pytest.mark.parametrize(
    ("option", "field_name"),
    [("--item", "items"), ("--type", "item_types"), ("--folder", "folders"), ("--exclude", "exclude")],
)
@pytest.mark.parametrize("pattern", [OVERFLOWING, TOO_DEEP], ids=["overflow", "too-deep"])
def test_a_cli_filter_re_cannot_compile_is_refused(
    deployed_dev: Path, option: str, field_name: str, pattern: str
) -> None:
    cwd = deployed_dev.parent

    line = assert_user_error(run(cwd, "deploy", SOURCE, "--env", "test", option, pattern), SOURCE, field(field_name))

    assert "regular expression" in line
    assert len(line) < 400  # the pattern is shortened, not repeated whole


# --- extend -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "reason"),
    [("common\\0.yml", "NUL"), ("x" * 5000 + ".yml", "too long"), ("/".join(["d" * 200] * 30), "too long")],
    ids=["nul", "long-name", "long-path"],
)
def test_an_extend_entry_that_cannot_be_a_path_is_refused(deployed_dev: Path, entry: str, reason: str) -> None:
    write(deployed_dev, "parameter.yml", f'extend: ["{entry}"]\n')

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS, field("extend[0]"))

    assert reason in line
    assert len(line) < 400


# --- YAML that blows up when it is read -------------------------------------------------------


def test_yaml_nested_too_deeply_is_refused(deployed_dev: Path) -> None:
    write(deployed_dev, "parameter.yml", "find_replace: " + "[" * 5000 + "]" * 5000 + "\n")

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS)

    assert "nested too deeply" in line


def test_yaml_aliases_that_expand_to_billions_of_values_are_refused(deployed_dev: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    write(deployed_dev, "parameter.yml", "\n".join([*lines, "find_replace: *a9"]) + "\n")  # 9**10 strings

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS)

    assert "aliases" in line


def test_a_yaml_number_too_long_to_convert_is_refused(deployed_dev: Path) -> None:
    config = deployed_dev / "workspace-config.yaml"
    text = config.read_text(encoding="utf-8")
    marker = '    workspace: "Sales (dev)"\n'
    config.write_text(
        text.replace(marker, marker + "    promotion: {approvals: " + "9" * 5000 + "}\n"), encoding="utf-8"
    )

    line = refused_deploy_changes_nothing(deployed_dev, CONFIG)

    assert "digits" in line


def test_a_parameter_file_that_is_a_fifo_is_refused_without_reading_it(deployed_dev: Path) -> None:
    (deployed_dev / "parameter.yml").unlink()
    os.mkfifo(deployed_dev / "parameter.yml")

    line = refused_deploy_changes_nothing(deployed_dev, PARAMETERS)

    assert "not a regular file" in line


# --- every problem of a file, not the first and a count -----------------------------------------


def test_a_validation_error_lists_every_problem(deployed_dev: Path) -> None:
    write(
        deployed_dev,
        "workspace-config.yaml",
        "environments:\n"
        '  dev: {workspace: "Sales (dev)", protectd: true}\n'
        '  test: {workspace: "Sales (test)", promotion: {approvals: -1}}\n'
        '  prod: {workspace_id: "not-a-guid"}\n',
    )
    cwd = deployed_dev.parent

    result = run(cwd, "deploy", SOURCE, "--env", "test", "--output", "json")

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    first, *others = result.stderr.splitlines()
    assert first.startswith(f"error: {CONFIG}, field 'environments.dev.protectd': unknown key 'protectd'"), first
    assert "more problem" not in result.stderr
    assert any("environments.test.promotion.approvals" in line for line in others), result.stderr
    assert any("environments.prod.workspace_id" in line and "not-a-guid" in line for line in others), result.stderr
    problems = json.loads(result.stdout)["error"]["problems"]
    assert [problem["field"] for problem in problems] == [
        "environments.dev.protectd",
        "environments.test.promotion.approvals",
        "environments.prod.workspace_id",
    ]
    assert all(problem["message"] for problem in problems)


# --- command-line arguments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [(("--workspace", os.fsdecode(b"Sales \xff")), "--workspace"), (("--user", os.fsdecode(b"d\xfera")), "--user")],
    ids=["workspace", "user"],
)
def test_an_argument_that_is_not_utf8_is_refused_naming_the_option(
    deployed_dev: Path, args: tuple[str, str], named: str
) -> None:
    cwd = deployed_dev.parent
    before, plans_before = state(cwd), plans(cwd, "dev", "test")

    line = assert_user_error(run(cwd, "deploy", SOURCE, "--env", "test", *args), named, "\\xf")

    assert "not UTF-8" in line
    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before
