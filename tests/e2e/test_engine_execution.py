"""Selection and execution, through the real CLI against the emulator: `--item`, `--type`, `--folder`,
`--exclude`, `--with-dependencies`; progress lines, the result table, `--report`, `--junit`, and
`--on-error stop|continue|rollback` with failures the emulator injects."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure, requests_log
from sources import (
    SOURCE,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    notebook_activity,
    part,
    pipeline_running,
    workspace,
    write_item,
)

PROGRESS = re.compile(r"^\[\s*(\d+)/(\d+)\] (\S+) (.+) \.\.\. (\w+) \((\d+\.\d)s\)(: .*)?$")
FAILED = 3  # the exit code of a deployment in which an item failed


def test_selection_by_item_type_folder_exclusion_and_dependencies(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    load = write_item(root, "Notebook", "Load", notebook("print('load')"), folder="Notebooks")
    write_item(root, "Notebook", "Scratch One", notebook("print('scratch')"), folder="Notebooks")
    write_item(root, "DataPipeline", "Run", pipeline_running([notebook_activity(load)]), folder="Pipelines")
    write_item(root, "Lakehouse", "Lake")

    def selected(name: str, *flags: str) -> list[str]:
        deploy(tmp_path, emulator, "--workspace", name, *flags)
        return sorted(items(emulator, name))

    assert selected("By type", "--type", "Notebook", "--exclude", "Scratch.*") == ["Load.Notebook"]
    assert selected("By item", "--item", "Lake", "--item", "Scratch One.Notebook") == [
        "Lake.Lakehouse",
        "Scratch One.Notebook",
    ]
    assert selected("By folder", "--folder", "Pipelines", "--with-dependencies") == [
        "Load.Notebook",
        "Run.DataPipeline",
    ]
    held = items(emulator, "By folder")
    run = json.loads(part(held["Run.DataPipeline"], "pipeline-content.json"))
    assert run["properties"]["activities"][0]["typeProperties"]["notebookId"] == held["Load.Notebook"]["id"]


def test_progress_lines_result_table_report_and_junit(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    for index in range(3):
        write_item(root, "Notebook", f"Job {index}", notebook(f"print({index})"), folder="Jobs")

    result = fabctl(tmp_path, emulator, *deploy_args("--report", "out/report.json", "--junit", "out/junit.xml"))

    assert result.returncode == 0, result.stdout + result.stderr
    # Not a terminal (a pipe, as in CI): one plain line per item as it finishes, then the table.
    progress = [m for m in map(PROGRESS.match, result.stdout.splitlines()) if m]
    assert [int(m.group(1)) for m in progress] == [1, 2, 3, 4]
    assert {int(m.group(2)) for m in progress} == {4}
    assert sorted((m.group(3), m.group(4), m.group(5)) for m in progress) == [
        ("create", "Job 0.Notebook", "done"),
        ("create", "Job 1.Notebook", "done"),
        ("create", "Job 2.Notebook", "done"),
        ("create_folder", "Jobs", "done"),
    ]
    table = result.stdout[result.stdout.index(progress[-1].group(0)) + len(progress[-1].group(0)) :]
    ids = {key: item["id"] for key, item in items(emulator).items()}
    for key, item_id in ids.items():
        assert re.search(rf"^create\s+{re.escape(key)}\s+done\s+{item_id}\s*$", table, re.MULTILINE), table
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["state"] == "committed" and report["workspace_id"] == workspace(emulator)["id"]
    assert {o["item"]: o["item_id"] for o in report["outcomes"] if o["action"] == "create"} == ids
    cases = ET.parse(tmp_path / "out" / "junit.xml").getroot().findall("testsuite/testcase")
    assert sorted(c.get("name") or "" for c in cases) == sorted([*ids, "Jobs"])
    assert not [c for c in cases if c.find("failure") is not None or c.find("skipped") is not None]


def deploy_args(*flags: str) -> tuple[str, ...]:
    return ("deploy", SOURCE, "--env", "dev", *flags)


def write_failing_source(root: Path) -> None:
    """Two lakehouses (created without a definition: always synchronous, never faulted), a notebook on
    its own, a notebook and the pipeline that runs it. With every long-running operation failing,
    writing a definition fails and the lakehouses succeed."""
    write_item(root, "Lakehouse", "Lake A")
    write_item(root, "Lakehouse", "Lake B", folder="Data")
    write_item(root, "Notebook", "Alone", notebook("print('alone')"))
    load = write_item(root, "Notebook", "Load", notebook("print('load')"))
    write_item(root, "DataPipeline", "Run Load", pipeline_running([notebook_activity(load)]))


def fail_every_operation(emulator: RunningEmulator) -> None:
    configure(emulator, lro_share=1.0, fault_rate=1.0, fault_kinds=["failed-operation"])


def failing_deploy(tmp_path: Path, emulator: RunningEmulator, *flags: str) -> tuple[dict[str, Any], dict[str, str]]:
    write_failing_source(new_source(tmp_path))
    fail_every_operation(emulator)
    result = fabctl(tmp_path, emulator, *deploy_args(*flags, "--report", "report.json", "--junit", "junit.xml"))
    assert result.returncode == FAILED, result.stdout + result.stderr
    assert requests_log(emulator)["faults"].get("failed-operation", 0) > 0
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    statuses = {o["item"]: o["status"] for o in report["outcomes"] if o["action"] != "create_folder"}
    # Every item is reported, once: nothing is silently skipped.
    assert sorted(statuses) == [
        "Alone.Notebook",
        "Lake A.Lakehouse",
        "Lake B.Lakehouse",
        "Load.Notebook",
        "Run Load.DataPipeline",
    ]
    assert len([o for o in report["outcomes"] if o["action"] != "create_folder"]) == len(statuses)
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "junit.xml").getroot().findall("testsuite/testcase")}
    for item, status in statuses.items():
        assert (cases[item].find("failure") is not None) == (status == "failed"), item
        assert (cases[item].find("skipped") is not None) == (status in ("skipped", "undone")), item
    return report, statuses


def test_on_error_continue_deploys_what_does_not_depend_on_a_failure(tmp_path: Path, emulator: RunningEmulator) -> None:
    report, statuses = failing_deploy(tmp_path, emulator, "--on-error", "continue")

    run_load = statuses.pop("Run Load.DataPipeline")
    assert statuses == {
        "Lake A.Lakehouse": "done",
        "Lake B.Lakehouse": "done",
        "Alone.Notebook": "failed",  # tried although another item had failed
        "Load.Notebook": "failed",
    }
    # It runs the notebook that failed: skipped when that failure came first, else tried; a
    # DataPipeline's create is answered at once (201, as recorded), so no operation of its own can
    # fail: then it is done. Never left out.
    assert run_load in ("skipped", "done")
    assert report["state"] != "committed"
    held = items(emulator)
    assert {"Lake A.Lakehouse", "Lake B.Lakehouse"} <= set(held)
    assert ("Run Load.DataPipeline" in held) == (run_load == "done")


def test_on_error_stop_starts_nothing_after_the_failure_and_reports_it(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    _, statuses = failing_deploy(tmp_path, emulator, "--on-error", "stop", "--workers", "1")

    assert list(statuses.values()).count("failed") == 1
    assert set(statuses.values()) <= {"done", "failed", "skipped"}
    assert statuses["Run Load.DataPipeline"] == "skipped"
    done = {key for key, status in statuses.items() if status == "done"}
    assert done <= {"Lake A.Lakehouse", "Lake B.Lakehouse"}
    assert done <= set(items(emulator))


def test_on_error_rollback_leaves_the_workspace_as_it_was(tmp_path: Path, emulator: RunningEmulator) -> None:
    report, statuses = failing_deploy(tmp_path, emulator, "--on-error", "rollback")

    assert "failed" in statuses.values()
    # What was done before the failure is reported as undone, not dropped from the report.
    assert statuses["Lake A.Lakehouse"] == statuses["Lake B.Lakehouse"] == "undone", statuses
    assert report["state"] == "rolled_back", report["state"]
    assert workspace(emulator)["items"] == [] and workspace(emulator)["folders"] == []
