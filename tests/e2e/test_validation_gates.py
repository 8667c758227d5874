"""Validation gates before deploying (issue 16), through the real CLI against the local default.

A gate configured as an error refuses `plan` and `deploy` with exit 2, naming the item, its file and
line, before any write; configured as a warning, the deployment goes on and the plan shows it. A
value of another environment left in a promotion's bound content refuses the promotion's deploy.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cli import EXAMPLE, run, run_json

NOTEBOOK = "Notebooks/Load Sales.Notebook/notebook-content.py"
MODEL = "Sales Model.SemanticModel/definition/model.tmdl"
BROKEN_LINE = 60  # the line of `bronze = raw...` in the example's notebook, counted by hand


def copy_example(tmp_path: Path) -> Path:
    root = tmp_path / "sales"
    shutil.copytree(EXAMPLE, root)
    return root


def break_the_notebook(root: Path) -> None:
    path = root / NOTEBOOK
    lines = path.read_text("utf-8").splitlines(keepends=True)
    assert lines[BROKEN_LINE - 1].startswith("bronze = raw")
    lines[BROKEN_LINE - 1] = "bronze = = raw\n"
    path.write_text("".join(lines), "utf-8")


def configure(root: Path, environment: str, validation: str) -> None:
    """Add `validation: <validation>` under `environment` in the copy's workspace-config.yaml."""
    path = root / "workspace-config.yaml"
    text = path.read_text("utf-8")
    anchor = f"  {environment}:\n"
    assert anchor in text
    path.write_text(text.replace(anchor, f"{anchor}    validation: {validation}\n"), "utf-8")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_notebook_that_does_not_compile_refuses_plan_and_deploy_before_any_write(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    break_the_notebook(root)

    for command in ("plan", "deploy"):
        line = one_error_line(run(tmp_path, command, "sales", "--env", "dev"))
        assert f"Load Sales.Notebook: {NOTEBOOK}, line {BROKEN_LINE}: does not compile" in line
        assert "notebooks_compile" in line

    assert run_json(tmp_path, "tx", "list") == []


def test_a_check_configured_as_a_warning_deploys_and_the_plan_shows_it(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    break_the_notebook(root)
    configure(root, "dev", "{notebooks_compile: warning}")
    expected = f"validation: Load Sales.Notebook: {NOTEBOOK}, line {BROKEN_LINE}: does not compile"

    planned = run_json(tmp_path, "plan", "sales", "--env", "dev")
    shown = run(tmp_path, "plan", "sales", "--env", "dev")
    deployed = run_json(tmp_path, "deploy", "sales", "--env", "dev")

    assert [w.startswith(expected) for w in planned["warnings"]] == [True]
    assert shown.returncode == 0 and f"warning: {expected}" in shown.stderr
    assert deployed["state"] == "committed"
    assert [w.startswith(expected) for w in deployed["plan"]["warnings"]] == [True]


def test_a_check_turned_off_is_not_run(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    break_the_notebook(root)
    configure(root, "dev", "{notebooks_compile: 'off'}")

    planned = run_json(tmp_path, "plan", "sales", "--env", "dev")

    assert planned["warnings"] == []


def test_a_dev_value_left_in_a_promoted_item_refuses_the_promotions_deploy(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    configure(root, "test", "{forbidden: [{pattern: contosodevsales, why: the dev storage account}]}")
    run_json(tmp_path, "deploy", "sales", "--env", "dev")
    # parameter.yml rewrites the account in notebooks only: a semantic model keeps the dev value.
    with (root / MODEL).open("a", encoding="utf-8") as model:
        model.write("\nannotation RawAccount = contosodevsales\n")
    model_line = len((root / MODEL).read_text("utf-8").splitlines())
    run_json(tmp_path, "deploy", "sales", "--env", "dev")
    request = run_json(tmp_path, "promote", "request", "sales", "--from", "dev", "--user", "alice")

    approved = run(tmp_path, "promote", "approve", request["id"], "--user", "bob")

    assert approved.returncode == 3 and "Traceback" not in approved.stderr  # the promotion failed: exit 3
    assert f"Sales Model.SemanticModel: {MODEL}, line {model_line}: still holds 'contosodevsales'" in approved.stderr
    assert "Load Sales.Notebook" not in approved.stderr  # its dev value was parameterized away
    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert shown["state"] == "failed"
    assert [t["environment"] for t in run_json(tmp_path, "tx", "list")] == ["dev", "dev"]


def test_a_warning_let_through_is_kept_in_the_transactions_journal(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    break_the_notebook(root)
    configure(root, "dev", "{notebooks_compile: warning}")
    expected = f"validation: Load Sales.Notebook: {NOTEBOOK}, line {BROKEN_LINE}: does not compile"
    deployed = run_json(tmp_path, "deploy", "sales", "--env", "dev")

    journal = run_json(tmp_path, "tx", "show", deployed["transaction_id"])
    shown = run(tmp_path, "tx", "show", deployed["transaction_id"])

    assert [w.startswith(expected) for w in journal["warnings"]] == [True]
    assert shown.returncode == 0 and f"warning: {expected}" in shown.stdout
