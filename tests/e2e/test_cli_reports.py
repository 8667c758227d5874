"""`plan --diff`, `--workspace`/`--workspace-id`, progress lines, `--report` and `--junit`, through the real CLI."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from cli import run, run_json

SOURCE = "sales-workspace"  # the `workspace` fixture's folder name, relative to the cwd (tmp_path)
NOTEBOOK = "Notebooks/Load Sales.Notebook/notebook-content.py"
ADDED = "print('rows loaded')"
ITEMS = 8  # the example's items
PROGRESS = re.compile(r"^\[\s*(\d+)/(\d+)\] (\S+) (.+) \.\.\. (\w+) \((\d+\.\d)s\)(: .*)?$")


def add_failing_report(workspace: Path) -> None:
    """A Report with only `.platform`: the local Fabric refuses to create it (no definition)."""
    folder = workspace / "Empty Report.Report"
    folder.mkdir()
    (folder / ".platform").write_text(
        json.dumps(
            {
                "metadata": {"type": "Report", "displayName": "Empty Report"},
                "config": {"version": "2.0", "logicalId": str(uuid.uuid4())},
            }
        ),
        encoding="utf-8",
    )


def test_plan_diff_shows_exactly_the_added_line(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", SOURCE, "--env", "dev")
    with (workspace / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write(ADDED + "\n")

    plan = run_json(cwd, "plan", SOURCE, "--env", "dev", "--diff")

    assert plan["summary"] == {"create": 0, "update": 1, "delete": 0, "no-op": 7}
    assert list(plan["diffs"]) == ["Load Sales.Notebook"]
    assert list(plan["diffs"]["Load Sales.Notebook"]) == ["notebook-content.py"]
    diff = plan["diffs"]["Load Sales.Notebook"]["notebook-content.py"].splitlines()
    assert diff[:2] == ["--- a/notebook-content.py", "+++ b/notebook-content.py"]
    changed = [line for line in diff[2:] if line.startswith(("+", "-"))]
    assert changed == ["+" + ADDED]

    text = run(cwd, "plan", SOURCE, "--env", "dev", "--diff")
    assert text.returncode == 0, text.stdout + text.stderr
    lines = text.stdout.splitlines()
    assert "+" + ADDED in lines
    assert [line for line in lines if line.startswith("+") and not line.startswith("+++")] == ["+" + ADDED]
    assert not [line for line in lines if line.startswith("-") and not line.startswith("---")]


def test_plan_diff_with_nothing_changed_has_no_diffs(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", SOURCE, "--env", "dev")

    assert run_json(cwd, "plan", SOURCE, "--env", "dev", "--diff")["diffs"] == {}
    assert "diffs" not in run_json(cwd, "plan", SOURCE, "--env", "dev")


def test_workspace_flag_deploys_to_another_workspace(workspace: Path) -> None:
    cwd = workspace.parent

    planned = run_json(cwd, "plan", SOURCE, "--env", "dev", "--workspace", "Sales (review)")
    assert (planned["workspace_name"], planned["workspace_exists"]) == ("Sales (review)", False)
    deployed = run_json(cwd, "deploy", SOURCE, "--env", "dev", "--workspace", "Sales (review)")

    assert deployed["state"] == "committed"
    assert deployed["workspace_name"] == "Sales (review)"
    assert [o["action"] for o in deployed["outcomes"]].count("create") == ITEMS
    again = run_json(cwd, "plan", SOURCE, "--env", "dev", "--workspace", "Sales (review)")
    assert again["summary"]["no-op"] == ITEMS
    # The environment's own workspace was not touched: everything is still to create there.
    own = run_json(cwd, "plan", SOURCE, "--env", "dev")
    assert (own["workspace_name"], own["workspace_exists"]) == ("Sales (dev)", False)
    assert own["summary"]["create"] == ITEMS


def test_workspace_id_flag_targets_that_workspace(workspace: Path) -> None:
    cwd = workspace.parent
    dev = run_json(cwd, "deploy", SOURCE, "--env", "dev")

    planned = run_json(cwd, "plan", SOURCE, "--env", "dev", "--workspace-id", dev["workspace_id"])

    assert (planned["workspace_id"], planned["workspace_name"]) == (dev["workspace_id"], "Sales (dev)")
    assert planned["summary"]["no-op"] == ITEMS


def test_workspace_and_workspace_id_together_are_a_usage_error(workspace: Path) -> None:
    cwd = workspace.parent
    for command in ("plan", "deploy"):
        result = run(cwd, command, SOURCE, "--env", "dev", "--workspace", "X", "--workspace-id", "Y")

        assert result.returncode == 2, result.stdout + result.stderr
        assert "mutually exclusive" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (cwd / ".fabctl").exists(), "a refused command created state"


def test_report_file_equals_the_json_document(workspace: Path) -> None:
    cwd = workspace.parent
    report = cwd / "out" / "deploy.json"

    printed = run_json(cwd, "deploy", SOURCE, "--env", "dev", "--report", str(report))

    assert json.loads(report.read_text(encoding="utf-8")) == printed
    plan_report = cwd / "plan.json"
    planned = run_json(cwd, "plan", SOURCE, "--env", "dev", "--report", str(plan_report))
    assert json.loads(plan_report.read_text(encoding="utf-8")) == planned


def test_junit_has_a_testcase_per_item_and_a_failure_for_the_failed_one(workspace: Path) -> None:
    cwd = workspace.parent
    add_failing_report(workspace)
    junit, report = cwd / "junit.xml", cwd / "report.json"

    result = run(cwd, "deploy", SOURCE, "--env", "dev", "--on-error", "continue", "--junit", junit, "--report", report)

    assert result.returncode == 3, result.stdout + result.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [o["item"] for o in document["outcomes"]]
    items = [c.get("name") for c in cases if "." in (c.get("name") or "")]
    assert len(items) == len(set(items)) == ITEMS + 1
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["Empty Report.Report"]
    failure = failed[0].find("failure")
    assert failure is not None and "MissingDefinition" in (failure.get("message") or "")
    assert suites[0].get("failures") == root.get("failures") == "1"
    assert suites[0].get("tests") == str(len(cases))
    assert all(float(c.get("time") or "x") >= 0 for c in cases)


def test_junit_marks_items_skipped_after_a_stop(workspace: Path) -> None:
    cwd = workspace.parent
    add_failing_report(workspace)
    junit = cwd / "junit.xml"

    # One worker: the items start one after another in plan order, so those after the failed report have
    # not started when it fails, whatever the machine's load. With many, every item could be under way
    # before the failure is seen, and none would be left to skip (a CI run under load saw that).
    result = run(cwd, "deploy", SOURCE, "--env", "dev", "--on-error", "stop", "--junit", junit, "--workers", "1")

    assert result.returncode == 3, result.stdout + result.stderr
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    assert [c.get("name") for c in cases if c.find("failure") is not None] == ["Empty Report.Report"]
    skipped = [c for c in cases if c.find("skipped") is not None]
    done = [c for c in cases if c.find("failure") is None and c.find("skipped") is None]
    assert len(skipped) + len(done) + 1 == len(cases)
    assert skipped, "items after the failure should be reported as skipped"


def test_progress_lines_appear_as_items_finish_when_not_a_terminal(workspace: Path) -> None:
    cwd = workspace.parent

    result = run(cwd, "deploy", SOURCE, "--env", "dev")  # stdout is a pipe here, as in CI

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [m for m in map(PROGRESS.match, result.stdout.splitlines()) if m]
    assert lines, result.stdout
    totals = {int(m.group(2)) for m in lines}
    assert len(totals) == 1, result.stdout
    total = totals.pop()
    assert [int(m.group(1)) for m in lines] == list(range(1, total + 1))
    items = [m.group(4) for m in lines if m.group(3) == "create"]
    assert len(items) == ITEMS and "Load Sales.Notebook" in items
    assert {m.group(5) for m in lines} == {"done"}
    table = result.stdout.index("Transaction ")  # the result table and summary still follow
    assert result.stdout.index(lines[-1].group(0)) < table


def test_json_output_prints_only_the_document(workspace: Path) -> None:
    cwd = workspace.parent

    result = run(cwd, "deploy", SOURCE, "--env", "dev", "--output", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["state"] == "committed"  # one JSON document, no progress lines
    assert not any(PROGRESS.match(line) for line in result.stdout.splitlines())
