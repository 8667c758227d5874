"""`fabctl init`: a project a team can plan right away, CI files copied as they are, nothing overwritten unasked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli import EXAMPLE, run, run_json
from emulator_process import RunningEmulator
from sources import fabctl_json

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Written by hand: what init writes besides the CI files.
PROJECT_FILES = {
    "Notebooks/Hello.Notebook/.platform",
    "Notebooks/Hello.Notebook/notebook-content.py",
    "workspace-config.yaml",
    "parameter.yml",
    "principals.yaml",
    "README.md",
    ".gitignore",
    ".schemas/workspace-config.schema.json",
    ".schemas/parameter.schema.json",
    ".schemas/principals.schema.json",
}


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_init_writes_a_project_that_plans_in_dev_at_once(tmp_path: Path) -> None:
    written = run_json(tmp_path, "init", "sales")
    project = tmp_path / "sales"
    ci = files_under(TEMPLATES / "github-actions")
    assert ci, "templates/github-actions/ holds no file to copy"
    assert set(written["written"]) == PROJECT_FILES | set(ci)
    on_disk = files_under(project)
    assert {path: on_disk[path] for path in ci} == ci  # byte for byte, at the same paths
    config = (project / "workspace-config.yaml").read_text()
    assert config.startswith("# yaml-language-server: $schema=.schemas/workspace-config.schema.json\n")
    assert '    workspace: "sales (prod)"' in config

    plan = run_json(project, "plan", ".", "--env", "dev")
    assert plan["summary"] == {"create": 1, "update": 0, "delete": 0, "no-op": 0}
    assert [(c["key"], c["kind"]) for c in plan["changes"]] == [("Hello.Notebook", "create")]
    test = run_json(project, "plan", ".", "--env", "test")
    assert test["workspace_name"] == "sales (test)"


def test_the_schemas_kept_are_the_ones_fabctl_schema_prints(tmp_path: Path) -> None:
    run_json(tmp_path, "init", "p", "--ci", "none")
    for name in ("workspace-config", "parameter", "principals"):
        printed = run(tmp_path, "schema", name)
        assert printed.returncode == 0, printed.stderr
        kept = json.loads((tmp_path / "p" / ".schemas" / f"{name}.schema.json").read_text())
        assert kept == json.loads(printed.stdout)
        assert kept["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_ci_azure_devops_and_none(tmp_path: Path) -> None:
    azure = run_json(tmp_path, "init", "a", "--ci", "azure-devops")
    ci = files_under(TEMPLATES / "azure-devops")
    assert ci, "templates/azure-devops/ holds no file to copy"
    assert set(azure["written"]) == PROJECT_FILES | set(ci)
    assert not (tmp_path / "a" / ".github").exists()
    none = run_json(tmp_path, "init", "n", "--ci", "none")
    assert set(none["written"]) == PROJECT_FILES


def test_a_non_empty_directory_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    project = tmp_path / "mine"
    project.mkdir()
    (project / "README.md").write_text("ours\n")
    (project / "notes.txt").write_text("keep\n")

    refused = run(tmp_path, "init", "mine")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: mine: is not empty: fabctl init would overwrite README.md;")
    assert "Traceback" not in refused.stderr
    assert files_under(project) == {"README.md": b"ours\n", "notes.txt": b"keep\n"}  # nothing written

    forced = run(tmp_path, "init", "mine", "--force", "--ci", "none")
    assert forced.returncode == 0, forced.stderr
    assert (project / "README.md").read_text().startswith("# mine\n")
    assert (project / "notes.txt").read_text() == "keep\n"


def test_a_fresh_clone_holding_only_git_is_empty(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    result = run(tmp_path / "repo", "init", "--ci", "none")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "repo" / "workspace-config.yaml").is_file()


def test_a_file_is_not_a_project_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run(tmp_path, "init", "file")
    assert result.returncode == 2
    assert result.stderr.endswith("Error: Invalid value for '[DIRECTORY]': Directory 'file' is a file.\n")


def test_from_workspace_exports_what_plans_as_no_change(tmp_path: Path, emulator: RunningEmulator) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    fabctl_json(tmp_path, emulator, "deploy", "sales", "--env", "dev")

    exported = fabctl_json(tmp_path, emulator, "init", "adopted", "--from-workspace", "Sales (dev)", "--ci", "none")
    assert exported["skipped"] == []
    assert "Notebooks/Load Sales.Notebook/notebook-content.py" in exported["written"]
    assert "Orchestration/Settings/Sales Settings.VariableLibrary/valueSets/prod.json" in exported["written"]
    config = (tmp_path / "adopted" / "workspace-config.yaml").read_text()
    assert '    workspace: "Sales (dev)"' in config
    assert '    workspace: "Sales (test)"' in config

    plan = fabctl_json(tmp_path, emulator, "plan", "adopted", "--env", "dev")
    assert plan["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": 8}
    live = fabctl_json(tmp_path, emulator, "plan", "adopted", "--env", "dev", "--refresh")  # against the definitions
    assert live["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": 8}
    # The workspace's ids became logical ids: the pipeline names its notebooks by their .platform's.
    platform = json.loads((tmp_path / "adopted" / "Notebooks" / "Load Sales.Notebook" / ".platform").read_text())
    pipeline = tmp_path / "adopted" / "Orchestration" / "Daily Sales.DataPipeline" / "pipeline-content.json"
    assert f'"notebookId": "{platform["config"]["logicalId"]}"' in pipeline.read_text()
    assert '"workspaceId": "00000000-0000-0000-0000-000000000000"' in pipeline.read_text()

    promoted = fabctl_json(tmp_path, emulator, "plan", "adopted", "--env", "test")
    assert promoted["summary"]["create"] == 8


def test_from_an_unknown_workspace_is_refused(tmp_path: Path, emulator: RunningEmulator) -> None:
    result = run(tmp_path, "init", "x", "--from-workspace", "Nobody's", "--fabric-url", emulator.url)
    assert result.returncode == 2
    assert result.stderr == "error: --from-workspace: no workspace 'Nobody's' is visible to fabctl's identity\n"
    assert not (tmp_path / "x").exists()
