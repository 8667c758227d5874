"""What an approval covers is pinned when the promotion is requested, through the real CLI: the items'
content, the source's set of items, parameter.yml's effect on the target and the target environment's
configuration. A change to any of them after the request refuses the approval, naming the difference,
and nothing is deployed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli import EXAMPLE, run, run_json

NOTEBOOK = "sales/Notebooks/Load Sales.Notebook/notebook-content.py"


def edit(cwd: Path, relative: str, old: str, new: str) -> None:
    path = cwd / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{relative} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def config_test_names_prod(cwd: Path) -> None:
    # The probe of the issue: `test` now names the production workspace.
    edit(cwd, "sales/workspace-config.yaml", 'workspace: "Sales (test)"', 'workspace: "Sales (prod)"')


def config_test_protected(cwd: Path) -> None:
    edit(cwd, "sales/workspace-config.yaml", "  test:\n", "  test:\n    protected: true\n")


def config_test_needs_two_approvals(cwd: Path) -> None:
    edit(cwd, "sales/workspace-config.yaml", "      approvals: 1\n  prod:", "      approvals: 2\n  prod:")


def parameters_for_test_changed(cwd: Path) -> None:
    edit(cwd, "sales/parameter.yml", 'test: "contosotestsales', 'test: "contosoprodsales')


def notebook_changed(cwd: Path) -> None:
    with (cwd / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write("print('not what was approved')\n")


def item_added_to_the_source(cwd: Path) -> None:
    extra = cwd / "sales/Notebooks/Extra.Notebook"
    shutil.copytree(cwd / "sales/Notebooks/Load Sales.Notebook", extra)
    platform = json.loads((extra / ".platform").read_text(encoding="utf-8"))
    platform["metadata"]["displayName"] = "Extra"
    platform["config"]["logicalId"] = "0e000000-0000-4000-8000-00000000000e"
    (extra / ".platform").write_text(json.dumps(platform), encoding="utf-8")


CHANGES: list[tuple[Callable[[Path], None], str]] = [
    (config_test_names_prod, 'environments.test.workspace: "Sales (test)" -> "Sales (prod)"'),
    (config_test_protected, "environments.test.protected: false -> true"),
    (config_test_needs_two_approvals, "environments.test.promotion.approvals: 1 -> 2"),
    (parameters_for_test_changed, "parameter.yml: find_replace[0].replace_value.test: changed"),
    (notebook_changed, "Load Sales.Notebook content: changed"),
    (item_added_to_the_source, "source item Extra.Notebook: added"),
]


def requested(cwd: Path) -> dict[str, Any]:
    shutil.copytree(EXAMPLE, cwd / "sales")
    run_json(cwd, "deploy", "sales", "--env", "dev")
    request: dict[str, Any] = run_json(cwd, "promote", "request", "sales", "--from", "dev", "--user", "alice")
    return request


@pytest.mark.parametrize(("change", "difference"), CHANGES, ids=[c.__name__ for c, _ in CHANGES])
def test_a_change_after_the_request_refuses_the_approval_naming_it(
    tmp_path: Path, change: Callable[[Path], None], difference: str
) -> None:
    request = requested(tmp_path)
    change(tmp_path)

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "bob")

    output = f"exit code {refused.returncode}\nstdout:\n{refused.stdout}\nstderr:\n{refused.stderr}"
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, output
    assert difference in refused.stderr, output
    assert "open a new request" in refused.stderr, output
    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert (shown["state"], shown["approvals"]) == ("requested", [])
    assert [t["environment"] for t in run_json(tmp_path, "tx", "list")] == ["dev"]


def test_the_same_terms_approve_and_deploy_what_was_requested(tmp_path: Path) -> None:
    request = requested(tmp_path)
    # Edits that change nothing a deployment to `test` reads: a comment, and the value for prod.
    edit(tmp_path, "sales/workspace-config.yaml", "# Environments", "# Reviewed. Environments")
    edit(tmp_path, "sales/parameter.yml", 'prod: "contosoprodsales', 'prod: "contosoprod2sales')

    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "bob")

    assert approved["state"] == "succeeded", approved
    assert [t["environment"] for t in run_json(tmp_path, "tx", "list")] == ["dev", "test"]
