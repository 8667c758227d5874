"""The CI templates in `templates/`: GitHub workflows pass actionlint, Azure DevOps pipelines hold together,
and every script in them that calls fabctl runs, as CI would run it, against the emulator in a
scaffold-like project (examples/sales-workspace, whose workspace-config.yaml has dev, test and prod).

The CI systems' own values are given test values: the GitHub/Azure DevOps files and folders, the run
id, and one FABCTL_USER per identity (the requester's, the approver's) where CI signs in as two
principals. What is not run here: the OIDC token fetch (GitHub's token endpoint), the sign-in itself
(FABCTL_AUTH=workload-identity) and the Azure state store; the emulator needs none of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ci_templates import AZURE_DEVOPS, FABCTL_STEP, GITHUB, azure_script, bash, github_run, load, walk
from cli import EXAMPLE, _environment, run_json
from emulator_process import RunningEmulator

NOTEBOOK = "Notebooks/Load Sales.Notebook/notebook-content.py"
EDIT = "print('one more line')\n"
BIN = Path(sys.executable).parent  # this checkout's `fabctl` console script


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A team's repository as `fabctl init` lays it out: the items and workspace-config.yaml at its root."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    (tmp_path / "ci").mkdir()
    return root


def ci_env(project: Path, emulator: RunningEmulator, user: str, **extra: str) -> dict[str, str]:
    ci = project.parent / "ci"
    env = _environment(user, {"FABCTL_FABRIC_URL": emulator.url, **extra})
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        RUNNER_TEMP=str(ci), GITHUB_STEP_SUMMARY=str(ci / "summary.md"), GITHUB_OUTPUT=str(ci / "output"),
        GITHUB_ENV=str(ci / "env"), GITHUB_RUN_ID="1234", GITHUB_ACTOR="octocat",
        AGENT_TEMPDIRECTORY=str(ci), BUILD_BUILDID="5678", BUILD_REQUESTEDFOR="Ada Lovelace",
        idToken="not-a-token", servicePrincipalId="00000000-0000-0000-0000-000000000001", tenantId="contoso",
    )  # fmt: skip
    return env


def passed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def last_transaction(project: Path, emulator: RunningEmulator, environment: str) -> str:
    found = run_json(project, "tx", "list", env={"FABCTL_FABRIC_URL": emulator.url})
    ids = [t["id"] for t in sorted(found, key=lambda t: t["started_at"]) if t["environment"] == environment]
    return str(ids[-1])


# --- checks of the files themselves --------------------------------------------------------------


def test_github_workflows_pass_actionlint() -> None:
    workflows = sorted(GITHUB.glob("*.yml"))
    assert [w.name for w in workflows] == ["deploy-dev.yml", "plan.yml", "promote.yml", "rollback.yml"]

    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color", *map(str, workflows)], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (GITHUB / "plan.yml").read_text(encoding="utf-8").replace("id-token: write", "id-token: writable")
    broken.write_text(text, encoding="utf-8")

    result = subprocess.run([str(BIN / "actionlint"), "-no-color", str(broken)], capture_output=True, text=True)

    assert result.returncode == 1
    assert "writable" in result.stdout


def test_github_workflows_sign_in_by_oidc_with_ids_only() -> None:
    for workflow in GITHUB.glob("*.yml"):
        document = load(workflow)
        text = workflow.read_text(encoding="utf-8")
        assert document["permissions"]["id-token"] == "write", workflow.name
        assert document["env"]["FABCTL_AUTH"] == "workload-identity", workflow.name
        assert "secrets." not in text, workflow.name


def test_azure_pipelines_hold_together() -> None:
    """No schema for Azure Pipelines installs from PyPI or npm: the structure is checked by hand."""
    pipelines = sorted(AZURE_DEVOPS.glob("*.yml"))
    assert [p.name for p in pipelines] == ["deploy-dev.yml", "plan.yml", "promote.yml", "rollback.yml"]
    for pipeline in pipelines:
        document = load(pipeline)
        assert "trigger" in document and "pr" in document, pipeline.name
        mappings = walk(document)
        for reference in [m["template"] for m in mappings if "template" in m]:
            assert (AZURE_DEVOPS / reference).is_file(), f"{pipeline.name}: {reference}"
        uses = [m for m in mappings if m.get("template") == FABCTL_STEP]
        assert uses, f"{pipeline.name} runs no fabctl step"
        for use in uses:
            assert set(use["parameters"]) <= {"serviceConnection", "name", "displayName", "script", "env"}
            assert use["parameters"]["serviceConnection"].startswith("fabctl-"), pipeline.name
        for job in [m for m in mappings if "deployment" in m]:
            assert job["environment"].startswith("fabctl-"), f"{pipeline.name}: {job['deployment']}"
    (task,) = load(AZURE_DEVOPS / FABCTL_STEP)["steps"]
    assert task["task"] == "AzureCLI@2"
    assert task["inputs"]["addSpnToEnvironment"] is True
    assert task["env"]["FABCTL_AUTH"] == "workload-identity"


def test_the_approval_runs_in_the_environment_that_holds_the_approvals() -> None:
    github = load(GITHUB / "promote.yml")["jobs"]["approve"]
    assert github["environment"] == "${{ inputs.to }}"
    (azure,) = [m for m in walk(load(AZURE_DEVOPS / "promote.yml")) if m.get("deployment") == "approve"]
    assert azure["environment"] == "fabctl-${{ parameters.to }}"


# --- every fabctl command the templates run, run against the emulator --------------------------


def test_github_workflows_scripts_run_against_the_emulator(project: Path, emulator: RunningEmulator) -> None:
    ci = project.parent / "ci"
    plan = github_run("plan.yml", "plan", "Plan")

    passed(bash(plan, project, ci_env(project, emulator, "pat", ENVIRONMENT="dev")))  # 4: changes pending
    summary = (ci / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### fabctl plan: `dev`, workspace `Sales (dev)` (will be created)\n")
    assert "| 8 | 0 | 0 | 0 |" in summary

    passed(bash(github_run("deploy-dev.yml", "deploy", "Deploy"), project, ci_env(project, emulator, "dora")))
    assert (ci / "fabctl-deploy.xml").is_file()

    out = passed(bash(plan, project, ci_env(project, emulator, "pat", ENVIRONMENT="dev")))  # 0: nothing to do
    assert "changes pending" not in out
    appended = (ci / "summary.md").read_text(encoding="utf-8").removeprefix(summary)  # `>>`: the first stays
    assert appended.startswith("### fabctl plan: `dev`, workspace `Sales (dev)`\n")
    assert "\nNo changes.\n" in appended

    unknown = bash(plan, project, ci_env(project, emulator, "pat", ENVIRONMENT="staging"))
    assert unknown.returncode == 2  # neither 0 nor 4: the job fails

    request = github_run("promote.yml", "request", "Request the promotion")
    passed(bash(request, project, ci_env(project, emulator, "rita", FROM="dev", TO="test", NOTE="sprint 12")))
    (line,) = (ci / "output").read_text(encoding="utf-8").splitlines()
    request_id = line.removeprefix("request_id=")
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id), line

    approve = github_run("promote.yml", "approve", "Approve (the last approval needed deploys)")
    passed(bash(approve, project, ci_env(project, emulator, "alex", REQUEST_ID=request_id)))
    shown = run_json(project, "promote", "show", request_id, env={"FABCTL_FABRIC_URL": emulator.url})
    assert shown["state"] == "succeeded"
    assert shown["approvals"][0]["comment"] == "approved in GitHub run 1234 by octocat"

    transaction = redeploy_dev_with_an_edit(project, emulator, github_run("deploy-dev.yml", "deploy", "Deploy"))
    for step in ("Show the transaction", "Revert it"):
        script = github_run("rollback.yml", "revert", step)
        passed(bash(script, project, ci_env(project, emulator, "olga", TRANSACTION_ID=transaction)))
    assert_reverted(project, emulator, transaction)


def redeploy_dev_with_an_edit(project: Path, emulator: RunningEmulator, deploy: str) -> str:
    """A second deployment to dev, changing one notebook: the transaction a rollback takes back."""
    with (project / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write(EDIT)
    passed(bash(deploy, project, ci_env(project, emulator, "dora")))
    return last_transaction(project, emulator, "dev")


def assert_reverted(project: Path, emulator: RunningEmulator, transaction: str) -> None:
    """The revert is a transaction of its own, and dev's notebook is back to what it was before the edit."""
    assert last_transaction(project, emulator, "dev") != transaction
    (project / NOTEBOOK).write_text((EXAMPLE / NOTEBOOK).read_text(encoding="utf-8"), encoding="utf-8")
    plan = run_json(project, "plan", ".", "--env", "dev", env={"FABCTL_FABRIC_URL": emulator.url})
    assert plan["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": 8}


def test_azure_pipelines_scripts_run_against_the_emulator(project: Path, emulator: RunningEmulator) -> None:
    ci = project.parent / "ci"
    plan = azure_script("plan.yml", "Plan")

    out = passed(bash(plan, project, ci_env(project, emulator, "pat", ENVIRONMENT="dev")))
    assert f"##vso[task.uploadsummary]{ci}/plan-dev.md" in out
    markdown = (ci / "plan-dev.md").read_text(encoding="utf-8")
    assert markdown.startswith("### fabctl plan: `dev`, workspace `Sales (dev)`")
    assert (ci / "federated-token").read_text(encoding="utf-8") == "not-a-token"

    passed(bash(azure_script("deploy-dev.yml", "Deploy to dev"), project, ci_env(project, emulator, "dora")))
    assert (ci / "fabctl-deploy.xml").is_file()

    unknown = bash(plan, project, ci_env(project, emulator, "pat", ENVIRONMENT="staging"))
    assert unknown.returncode == 2

    request = azure_script("promote.yml", "Request the promotion")
    out = passed(bash(request, project, ci_env(project, emulator, "rita", FROM="dev", TO="test", NOTE="sprint 12")))
    (request_id,) = re.findall(r"##vso\[task\.setvariable variable=request_id;isOutput=true\](\S+)", out)

    approve = azure_script("promote.yml", "Approve (the last approval needed deploys)")
    passed(bash(approve, project, ci_env(project, emulator, "alex", REQUEST_ID=request_id)))
    shown = run_json(project, "promote", "show", request_id, env={"FABCTL_FABRIC_URL": emulator.url})
    assert shown["state"] == "succeeded"
    assert shown["approvals"][0]["comment"] == "approved in Azure DevOps run 5678 by Ada Lovelace"

    transaction = redeploy_dev_with_an_edit(project, emulator, azure_script("deploy-dev.yml", "Deploy to dev"))
    revert = azure_script("rollback.yml", "Revert the transaction")
    passed(bash(revert, project, ci_env(project, emulator, "olga", TRANSACTION_ID=transaction)))
    assert_reverted(project, emulator, transaction)


def test_the_requester_cannot_approve_in_ci(project: Path, emulator: RunningEmulator) -> None:
    """Why the approval job signs in as another identity: one principal's approval of its own request is refused."""
    ci = project.parent / "ci"
    passed(bash(github_run("deploy-dev.yml", "deploy", "Deploy"), project, ci_env(project, emulator, "rita")))
    request = github_run("promote.yml", "request", "Request the promotion")
    passed(bash(request, project, ci_env(project, emulator, "rita", FROM="dev", TO="test", NOTE="n")))
    request_id = (ci / "output").read_text(encoding="utf-8").strip().removeprefix("request_id=")

    approve = github_run("promote.yml", "approve", "Approve (the last approval needed deploys)")
    refused = bash(approve, project, ci_env(project, emulator, "rita", REQUEST_ID=request_id))

    assert refused.returncode == 2, refused.stderr
    assert json.dumps(refused.stderr).count("Traceback") == 0
