"""`plan --output markdown` through the real CLI against the emulator: the whole document, written by hand."""

from __future__ import annotations

from pathlib import Path

from cli import run, run_json
from emulator_process import RunningEmulator
from sources import notebook, write_file, write_item

CONFIG = 'environments:\n  dev:\n    workspace: "Small | team (dev)"\n'


def small_source(root: Path) -> Path:
    """Two notebooks, one in a folder, and a workspace name with a `|` a table would break on."""
    source = root / "small"
    write_file(source / "workspace-config.yaml", CONFIG)
    write_item(source, "Notebook", "Load", notebook("print('load')"))
    write_item(source, "Notebook", "Clean", notebook("print('clean')"), folder="Prep")
    return source


FIRST_PLAN = (
    """\
### fabctl plan: `dev`, workspace `Small \\| team (dev)` (will be created)

| create | update | delete | no-op |
|---:|---:|---:|---:|
| 2 | 0 | 0 | 0 |

Changes pending.

Folders to create: `Prep`

| action | type | name | reason |
|---|---|---|---|
| create | Notebook | Clean | not in the workspace |
| create | Notebook | Load | not in the workspace |

"""
    "Flags in force: rollback_on_failure off, delete_orphans off, deploy_shortcuts on, refresh_before_deploy off, "
    "publish_events on\n"
)

AFTER_AN_EDIT = (
    """\
### fabctl plan: `dev`, workspace `Small \\| team (dev)`

| create | update | delete | no-op |
|---:|---:|---:|---:|
| 0 | 1 | 0 | 1 |

Changes pending.

| action | type | name | reason |
|---|---|---|---|
| no-op | Notebook | Clean | unchanged |
| update | Notebook | Load | definition differs: notebook-content.py |

"""
    "Flags in force: rollback_on_failure off, delete_orphans off, deploy_shortcuts on, refresh_before_deploy off, "
    "publish_events on\n"
)


def test_markdown_plan_of_a_new_workspace(tmp_path: Path, emulator: RunningEmulator) -> None:
    small_source(tmp_path)

    result = run(tmp_path, "plan", "small", "--env", "dev", "-o", "markdown", "--fabric-url", emulator.url)

    assert result.returncode == 0, result.stderr
    assert result.stdout == FIRST_PLAN


def test_markdown_plan_after_an_edit_exits_4_and_keeps_report(tmp_path: Path, emulator: RunningEmulator) -> None:
    source = small_source(tmp_path)
    run_json(tmp_path, "deploy", "small", "--env", "dev", "--fabric-url", emulator.url)
    write_item(source, "Notebook", "Load", notebook("print('load, twice')"), logical_id=None)

    result = run(
        tmp_path, "plan", "small", "--env", "dev", "-o", "markdown", "--detailed-exitcode",
        "--report", "out/plan.json", "--fabric-url", emulator.url,
    )  # fmt: skip

    assert result.returncode == 4, result.stderr
    assert result.stdout == AFTER_AN_EDIT
    report = (tmp_path / "out" / "plan.json").read_text(encoding="utf-8")
    assert '"update": 1' in report  # --report still writes the JSON document


def test_markdown_plan_with_nothing_to_change_exits_0(tmp_path: Path, emulator: RunningEmulator) -> None:
    small_source(tmp_path)
    run_json(tmp_path, "deploy", "small", "--env", "dev", "--fabric-url", emulator.url)

    result = run(
        tmp_path, "plan", "small", "--env", "dev", "-o", "markdown", "--detailed-exitcode", "--fabric-url", emulator.url
    )

    assert result.returncode == 0, result.stderr
    assert "\nNo changes.\n" in result.stdout
    assert "| no-op | Notebook | Load | unchanged |" in result.stdout


def test_markdown_plan_of_an_unknown_environment_is_one_error_on_stderr(tmp_path: Path) -> None:
    small_source(tmp_path)

    result = run(tmp_path, "plan", "small", "--env", "staging", "-o", "markdown")

    assert result.returncode == 2
    assert result.stdout == ""  # nothing lands in a job summary
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_markdown_plan_with_diff_folds_each_changed_part(tmp_path: Path, emulator: RunningEmulator) -> None:
    source = small_source(tmp_path)
    run_json(tmp_path, "deploy", "small", "--env", "dev", "--fabric-url", emulator.url)
    write_item(source, "Notebook", "Load", notebook("print('load, twice')"))

    result = run(tmp_path, "plan", "small", "--env", "dev", "-o", "markdown", "--diff", "--fabric-url", emulator.url)

    assert result.returncode == 0, result.stderr
    folded = result.stdout.split("<details><summary>Load.Notebook: notebook-content.py</summary>\n\n```diff\n", 1)[1]
    diff, rest = folded.split("\n```\n", 1)
    assert [line for line in diff.splitlines() if line.startswith(("+", "-"))] == [
        "--- a/notebook-content.py",
        "+++ b/notebook-content.py",
        "-print('load')",
        "+print('load, twice')",
    ]
    assert rest == "\n</details>\n"
