"""Smoke tests after a deployment's writes, through the real CLI against the emulator (docs/smoke-tests.md).

The emulator's job knobs decide how each job instance ends (`failing_jobs`, `job_ms`); its snapshot shows
whether a failed smoke test's deployment was rolled back; `fabctl events` and `fabctl tx show` show what
was recorded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cli import run_json
from emulator_process import RunningEmulator, configure, snapshot
from sources import SOURCE, deploy, fabctl, fabctl_json, items, new_source, notebook, part, workspace, write_item

FAILED = 3  # a deployment failed (docs/adr/0020-exit-codes.md)
CODE = "notebook-content.py"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def config(*, protected: bool, smoke: str) -> str:
    return (
        'environments:\n  dev:\n    workspace: "Engine (dev)"\n'
        f"    protected: {'true' if protected else 'false'}\n    smoke_tests:\n{smoke}"
    )


LOAD = '      - run: "Load.Notebook"\n'


def events(cwd: Path, kind: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in run_json(cwd, "events", "--limit", "1000") if e["type"] == kind]


def test_passing_smoke_tests_run_each_job_and_are_recorded(tmp_path: Path, emulator: RunningEmulator) -> None:
    configure(emulator, job_ms=300)
    smoke = LOAD + '      - run: "Nightly.DataPipeline"\n        timeout: 30\n      - sql_endpoint: "Sales.Lakehouse"\n'
    root = new_source(tmp_path, config(protected=True, smoke=smoke))
    write_item(root, "Notebook", "Load", notebook("print('load')"))
    write_item(root, "DataPipeline", "Nightly", {"pipeline-content.json": '{"properties": {"activities": []}}\n'})
    write_item(root, "Lakehouse", "Sales", {"lakehouse.metadata.json": "{}\n"})

    result = deploy(tmp_path, emulator)

    assert result["state"] == "committed", result
    checks = [(s["check"], s["item"], s["passed"], s["job_type"]) for s in result["smoke_tests"]]
    assert checks == [
        ("run", "Load.Notebook", True, "RunNotebook"),
        ("run", "Nightly.DataPipeline", True, "Pipeline"),
        ("sql_endpoint", "Sales.Lakehouse", True, ""),
    ]
    assert re.fullmatch(GUID, result["smoke_tests"][0]["job_instance_id"])
    assert result["smoke_tests"][0]["detail"] == "job instance Completed"
    passed = events(tmp_path, "SmokeTestPassed")
    assert [(p["item"], p["transaction_id"]) for p in passed] == [
        ("Load.Notebook", result["transaction_id"]),
        ("Nightly.DataPipeline", result["transaction_id"]),
        ("Sales.Lakehouse", result["transaction_id"]),
    ]
    shown = run_json(tmp_path, "tx", "show", result["transaction_id"])
    assert [s["item"] for s in shown["smoke_tests"]] == ["Load.Notebook", "Nightly.DataPipeline", "Sales.Lakehouse"]


def test_a_failing_job_in_a_protected_environment_rolls_the_deployment_back(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path, config(protected=True, smoke=LOAD))
    load = write_item(root, "Notebook", "Load", notebook("print('first')"))
    assert deploy(tmp_path, emulator)["state"] == "committed"
    before = workspace(emulator)

    configure(emulator, failing_jobs=["Load"])
    write_item(root, "Notebook", "Load", notebook("print('second')"), logical_id=load)
    result = fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")

    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == FAILED, output
    assert "Traceback" not in result.stdout + result.stderr, output
    assert "failed and was rolled back" in result.stdout, output
    assert workspace(emulator) == before  # the notebook's first version is back
    assert "print('first')" in part(items(emulator)["Load.Notebook"], CODE)
    [failed] = events(tmp_path, "SmokeTestFailed")
    assert failed["item"] == "Load.Notebook" and re.fullmatch(GUID, failed["job_instance_id"])
    assert "JobInstanceStatusFailed" in failed["reason"]
    [rolled_back] = events(tmp_path, "TransactionRolledBack")
    assert rolled_back["transaction_id"] == failed["transaction_id"]
    error = " ".join(result.stdout.split())  # the table may wrap it
    assert f"smoke test run Load.Notebook failed (job instance {failed['job_instance_id']})" in error, output
    assert "JobInstanceStatusFailed" in error, output
    shown = run_json(tmp_path, "tx", "show", failed["transaction_id"])
    assert shown["state"] == "rolled_back"
    assert [(s["item"], s["passed"]) for s in shown["smoke_tests"]] == [("Load.Notebook", False)]


def test_a_failing_job_in_an_unprotected_environment_fails_the_deployment_and_keeps_its_writes(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path, config(protected=False, smoke=LOAD))
    load = write_item(root, "Notebook", "Load", notebook("print('first')"))
    deploy(tmp_path, emulator)

    configure(emulator, failing_jobs=["Load"])
    write_item(root, "Notebook", "Load", notebook("print('second')"), logical_id=load)
    result = deploy(tmp_path, emulator, expect_code=FAILED)

    assert result["state"] == "failed", result
    assert "print('second')" in part(items(emulator)["Load.Notebook"], CODE)  # not rolled back
    assert result["error"].startswith("smoke test run Load.Notebook failed (job instance ")
    assert "JobInstanceStatusFailed" in result["error"]
    assert events(tmp_path, "TransactionRolledBack") == []
    outcome = [(o["action"], o["status"]) for o in result["outcomes"] if o["item"] == "Load.Notebook"]
    assert outcome == [("update", "done"), ("smoke_test", "failed")]


def test_a_job_still_running_at_its_timeout_fails_naming_the_timeout(tmp_path: Path, emulator: RunningEmulator) -> None:
    configure(emulator, job_ms=20_000)
    root = new_source(tmp_path, config(protected=False, smoke=LOAD + "        timeout: 1\n"))
    write_item(root, "Notebook", "Load", notebook("print('slow')"))

    result = deploy(tmp_path, emulator, expect_code=FAILED)

    assert result["state"] == "failed", result
    [smoke] = result["smoke_tests"]
    assert smoke["passed"] is False
    assert smoke["detail"] in (
        "timed out after 1s with the job instance still NotStarted",
        "timed out after 1s with the job instance still InProgress",
    )
    assert "timed out after 1s" in result["error"]


def test_a_smoke_test_failing_the_promoted_deployment_fails_the_promotion(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    text = (
        'environments:\n  dev:\n    workspace: "Engine (dev)"\n'
        '  test:\n    workspace: "Engine (test)"\n    protected: true\n    smoke_tests:\n' + LOAD
    )
    root = new_source(tmp_path, text)
    write_item(root, "Notebook", "Load", notebook("print('promoted')"))
    deploy(tmp_path, emulator)
    request = fabctl_json(tmp_path, emulator, "promote", "request", SOURCE, "--from", "dev", "--user", "alice")
    configure(emulator, failing_jobs=["Load"])

    approved = fabctl(tmp_path, emulator, "promote", "approve", request["id"], "--user", "bob")

    output = f"stdout:\n{approved.stdout}\nstderr:\n{approved.stderr}"
    assert approved.returncode == FAILED, output
    assert "Traceback" not in approved.stdout + approved.stderr, output
    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert shown["state"] == "rolled_back", shown
    assert "smoke test run Load.Notebook failed" in shown["reason"] and "JobInstanceStatusFailed" in shown["reason"]
    assert items(emulator, "Engine (test)") == {}  # the promoted notebook was created, then removed again
    [rolled_back] = [e for e in events(tmp_path, "PromotionRolledBack") if e["request_id"] == request["id"]]
    [smoke] = events(tmp_path, "SmokeTestFailed")
    assert smoke["transaction_id"] == rolled_back["transaction_id"]


def test_a_smoke_test_naming_an_item_nowhere_is_refused_before_any_write(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path, config(protected=True, smoke=LOAD + '      - run: "Nightly.DataPipeline"\n'))
    write_item(root, "Notebook", "Load", notebook("print('load')"))

    result = fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "error: src/workspace-config.yaml, field 'environments.dev.smoke_tests[1].run': smoke test names "
        "Nightly.DataPipeline, which this deployment neither deploys nor finds in the target workspace"
    )
    assert snapshot(emulator)["workspaces"] == []  # nothing written, not even the workspace


MODEL = {"definition.pbism": '{"version": "4.2"}\n', "definition/model.tmdl": "model Model\n"}
REFRESH = '      - refresh: "Sales Model.SemanticModel"\n        timeout: 30\n'


def test_a_passing_refresh_of_a_semantic_model_is_recorded(tmp_path: Path, emulator: RunningEmulator) -> None:
    configure(emulator, job_ms=300)
    root = new_source(tmp_path, config(protected=True, smoke=REFRESH))
    write_item(root, "SemanticModel", "Sales Model", MODEL)

    result = deploy(tmp_path, emulator)

    assert result["state"] == "committed", result
    [smoke] = result["smoke_tests"]
    assert (smoke["check"], smoke["item"], smoke["passed"]) == ("refresh", "Sales Model.SemanticModel", True)
    assert smoke["detail"] == "refresh Completed"
    assert re.fullmatch(GUID, smoke["job_instance_id"])  # the refresh's request id
    [passed] = events(tmp_path, "SmokeTestPassed")
    assert (passed["item"], passed["transaction_id"]) == ("Sales Model.SemanticModel", result["transaction_id"])


def test_a_failing_refresh_in_a_protected_environment_rolls_the_deployment_back(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    configure(emulator, job_ms=0, failing_jobs=["Sales Model"])
    root = new_source(tmp_path, config(protected=True, smoke=REFRESH))
    write_item(root, "SemanticModel", "Sales Model", MODEL)

    result = fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev")

    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == FAILED, output
    assert "Traceback" not in result.stdout + result.stderr, output
    assert "failed and was rolled back" in result.stdout, output
    assert items(emulator) == {}  # the model this deployment created is gone again
    [failed] = events(tmp_path, "SmokeTestFailed")
    assert failed["item"] == "Sales Model.SemanticModel" and re.fullmatch(GUID, failed["job_instance_id"])
    error = " ".join(result.stdout.split())  # the table may wrap it
    assert (
        f"smoke test refresh Sales Model.SemanticModel failed (refresh request {failed['job_instance_id']}): "
        "refresh ended Failed: ModelRefreshFailed_CredentialsNotSpecified: The refresh of Sales Model failed"
    ) in error, output
