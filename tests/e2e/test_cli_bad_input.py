"""Bad input through the real CLI: exit code 2, one precise line on stderr, and nothing changed.

Deployment failures are the exception: Fabric refused a write, exit code 3, and the transaction
says what happened.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from cli import run, run_json
from refusals import (
    DEPLOYMENT_FAILED,
    NOTEBOOK_PLATFORM,
    SOURCE,
    assert_user_error,
    field,
    plans,
    read_json,
    refused_deploy_changes_nothing,
    state,
    write_json,
)

# --- the source folder ------------------------------------------------------------------------


def test_item_folder_without_platform_is_refused(deployed_dev: Path) -> None:
    folder = deployed_dev / "X.Notebook"
    folder.mkdir()
    (folder / "notebook-content.py").write_text("print('hello')\n", encoding="utf-8")

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/X.Notebook", ".platform")

    assert "missing .platform" in line


def test_malformed_platform_is_refused_with_line_and_column(deployed_dev: Path) -> None:
    broken = '{\n  "metadata": {\n    "type": "Notebook",\n  }\n}\n'  # a trailing comma
    with pytest.raises(json.JSONDecodeError) as decoding:
        json.loads(broken)
    (deployed_dev / NOTEBOOK_PLATFORM).write_text(broken, encoding="utf-8")

    refused_deploy_changes_nothing(
        deployed_dev,
        f"{SOURCE}/{NOTEBOOK_PLATFORM}",
        f"line {decoding.value.lineno}, column {decoding.value.colno}",
    )


def test_platform_without_item_type_is_refused(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    platform = read_json(path)
    del platform["metadata"]["type"]
    write_json(path, platform)

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}", field("metadata.type"))

    assert "required" in line


def test_unknown_item_type_is_refused_with_a_suggestion(deployed_dev: Path) -> None:
    path = deployed_dev / NOTEBOOK_PLATFORM
    platform = read_json(path)
    platform["metadata"]["type"] = "Notebok"
    write_json(path, platform)

    line = refused_deploy_changes_nothing(deployed_dev, f"{SOURCE}/{NOTEBOOK_PLATFORM}", field("metadata.type"))

    message = line.split(field("metadata.type"), 1)[1]
    assert "Notebok" in message
    assert "'Notebook'" in message


def test_two_items_with_one_logical_id_are_refused(deployed_dev: Path) -> None:
    original = deployed_dev / "Notebooks" / "Load Sales.Notebook"
    copy = deployed_dev / "Notebooks" / "Reload Sales.Notebook"
    shutil.copytree(original, copy)
    platform = read_json(copy / ".platform")
    platform["metadata"]["displayName"] = "Reload Sales"  # a distinct item that kept the same logicalId
    write_json(copy / ".platform", platform)

    line = refused_deploy_changes_nothing(
        deployed_dev,
        f"{SOURCE}/Notebooks/Load Sales.Notebook/.platform",
        f"{SOURCE}/Notebooks/Reload Sales.Notebook/.platform",
        field("config.logicalId"),
    )

    assert platform["config"]["logicalId"] in line


def test_nonexistent_source_dir_is_refused(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    before, plans_before = state(cwd), plans(cwd, "dev", "test")

    assert_user_error(run(cwd, "deploy", "no-such-folder", "--env", "dev"), "no-such-folder")
    assert_user_error(run(cwd, "plan", "no-such-folder", "--env", "dev"), "no-such-folder")
    # With a valid configuration, the source folder itself is the subject of the error.
    config = f"{SOURCE}/workspace-config.yaml"
    line = assert_user_error(
        run(cwd, "deploy", "no-such-folder", "--env", "dev", "--config", config), "error: no-such-folder:"
    )
    assert "does not exist" in line

    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before


# --- the workspace configuration --------------------------------------------------------------


def test_unknown_environment_is_refused_and_lists_the_known_ones(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    before, plans_before = state(cwd), plans(cwd, "dev", "test")

    for command in ("deploy", "plan"):
        line = assert_user_error(
            run(cwd, command, SOURCE, "--env", "qa"),
            f"{SOURCE}/workspace-config.yaml",
            field("environments"),
            "'qa'",
        )
        message = line.split(field("environments"), 1)[1]
        for known in ("dev", "test", "prod"):
            assert known in message

    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before


# --- promotions -------------------------------------------------------------------------------


def request_promotion(cwd: Path) -> str:
    request = run_json(cwd, "promote", "request", SOURCE, "--from", "dev", "--user", "alice")
    assert request["state"] == "requested"
    return str(request["id"])


def test_approving_a_deployed_promotion_again_is_refused(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    request_id = request_promotion(cwd)
    approved = run_json(cwd, "promote", "approve", request_id, "--user", "bob")
    assert approved["state"] == "succeeded"
    assert [a["approver"] for a in approved["approvals"]] == ["bob"]
    assert approved["transaction_id"]
    before = state(cwd)
    shown_before = run_json(cwd, "promote", "show", request_id)
    plans_before = plans(cwd, "dev", "test")
    assert plans_before["test"]["summary"]["create"] == 0  # the approval deployed to test

    assert_user_error(
        run(cwd, "promote", "approve", request_id, "--user", "carol"),
        f"promotion request {request_id}",
        field("state"),
    )

    assert run_json(cwd, "promote", "show", request_id) == shown_before
    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before


def test_requester_cannot_approve_their_own_promotion(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    request_id = request_promotion(cwd)
    before = state(cwd)
    shown_before = run_json(cwd, "promote", "show", request_id)
    plans_before = plans(cwd, "dev", "test")

    assert_user_error(
        run(cwd, "promote", "approve", request_id, "--user", "alice"),
        f"promotion request {request_id}",
        field("approver"),
        "alice",
    )

    shown = run_json(cwd, "promote", "show", request_id)
    assert shown == shown_before
    assert shown["state"] == "requested"
    assert shown["approvals"] == []
    assert state(cwd) == before
    assert plans(cwd, "dev", "test") == plans_before


def test_unknown_promotion_request_is_refused(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    before = state(cwd)
    unknown = str(uuid.uuid4())

    assert_user_error(run(cwd, "promote", "show", unknown), f"promotion request {unknown}", field("id"))
    assert_user_error(run(cwd, "promote", "approve", unknown, "--user", "bob"), f"promotion request {unknown}")

    assert state(cwd) == before


# --- --output json ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "subject", "field_name"),
    [
        (("plan", SOURCE, "--env", "qa"), f"{SOURCE}/workspace-config.yaml", "environments"),
        (("deploy", SOURCE, "--env", "qa"), f"{SOURCE}/workspace-config.yaml", "environments"),
        (("promote", "show", "no-such-request"), "promotion request no-such-request", "id"),
    ],
    ids=["plan", "deploy", "promote-show"],
)
def test_json_output_carries_the_error(workspace: Path, args: tuple[str, ...], subject: str, field_name: str) -> None:
    cwd = workspace.parent
    result = run(cwd, *args, "--output", "json")

    line = assert_user_error(result, subject, field(field_name))
    assert result.stdout.strip(), f"--output json printed no JSON error document on stdout; stderr: {result.stderr}"
    document = json.loads(result.stdout)  # one JSON document on stdout, and nothing else
    error = document["error"]
    assert error["subject"] == subject
    assert error["field"] == field_name
    assert error["message"]
    assert error["message"] in line


# --- a deployment Fabric refuses: exit code 3 --------------------------------------------------


def test_item_fabric_cannot_create_fails_the_deployment(workspace: Path) -> None:
    cwd = workspace.parent
    folder = workspace / "Empty Report.Report"
    folder.mkdir()
    write_json(
        folder / ".platform",
        {
            "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
            "metadata": {"type": "Report", "displayName": "Empty Report"},
            "config": {"version": "2.0", "logicalId": str(uuid.uuid4())},
        },
    )

    result = run(cwd, "deploy", SOURCE, "--env", "dev")

    output = f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == DEPLOYMENT_FAILED, output
    assert "Traceback" not in result.stdout + result.stderr, output
    report_rows = [row for row in result.stdout.splitlines() if "Empty Report.Report" in row]
    assert report_rows, output  # the per-item table shows the report...
    assert any("failed" in row for row in report_rows), output  # ...as failed
    assert "MissingDefinition" in result.stdout, output
    errors = [line for line in (result.stdout + result.stderr).splitlines() if "error" in line.lower()]
    assert any("Empty Report" in line for line in errors), output  # the error names the report

    transactions = run_json(cwd, "tx", "list")
    assert [t["state"] for t in transactions] == ["failed"]
    assert transactions[0]["environment"] == "dev"
    journal = run_json(cwd, "tx", "show", transactions[0]["id"])
    assert [step["outcome"] for step in journal["steps"] if step["item"] == "Empty Report.Report"] == ["failed"]


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["ten", "5 min", "-1m"])
def test_a_lock_timeout_that_is_not_a_duration_is_refused_naming_the_forms(deployed_dev: Path, given: str) -> None:
    cwd = deployed_dev.parent
    before, plans_before = state(cwd), plans(cwd, "dev", "test")

    refused = run(cwd, "deploy", SOURCE, "--env", "test", "--lock-timeout", given)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--lock-timeout" in refused.stderr and "not a duration" in refused.stderr and "5m" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert state(cwd) == before and plans(cwd, "dev", "test") == plans_before
