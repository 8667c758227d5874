"""The source folder is read lazily: parts hold paths, files are read when needed, and a file gone
by then is a clear user error naming it, also through `fabctl deploy`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from emulator_process import configure, requests_log, running_emulator

from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import ItemKey
from fabctl.domain.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales-workspace"
NOTEBOOK = ItemKey("Notebook", "Load Sales")
NOTEBOOK_FILE = "Notebooks/Load Sales.Notebook/notebook-content.py"
COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
USER_ERROR = 2


@pytest.fixture
def source(tmp_path: Path) -> Path:
    target = tmp_path / "sales"
    shutil.copytree(EXAMPLE, target)
    return target


def read(source: Path) -> Workspace:
    return FabricGitFolderReader().read_workspace(str(source))


def test_parts_hold_no_bytes_and_read_the_file_as_it_is_now(source: Path) -> None:
    workspace = read(source)
    notebook = workspace.get(NOTEBOOK)
    assert notebook is not None
    part = notebook.definition.part("notebook-content.py")
    assert part is not None

    assert not any(p.is_loaded for item in workspace for p in item.definition.parts)
    assert part.payload == (source / NOTEBOOK_FILE).read_bytes()
    (source / NOTEBOOK_FILE).write_bytes(b"print('edited after the walk')\n")
    assert part.payload == b"print('edited after the walk')\n"


def test_a_file_removed_after_the_walk_is_an_invalid_source_naming_it(source: Path) -> None:
    notebook = read(source).get(NOTEBOOK)
    assert notebook is not None
    (source / NOTEBOOK_FILE).unlink()

    with pytest.raises(InvalidSource) as error:
        notebook.definition.content_hash()

    assert error.value.subject == f"{source}/{NOTEBOOK_FILE}"
    assert "no longer exists" in str(error.value)


def test_a_file_unreadable_during_the_walk_is_refused_at_once(source: Path) -> None:
    dangling = source / "Notebooks/Load Sales.Notebook/extra.py"
    os.symlink(source / "nowhere.py", dangling)

    with pytest.raises(InvalidSource) as error:
        read(source)

    assert error.value.subject == f"{source}/Notebooks/Load Sales.Notebook/extra.py"
    assert "cannot be read" in str(error.value)


def test_fabctl_deploy_refuses_a_source_file_removed_while_it_runs(tmp_path: Path, source: Path) -> None:
    """The file goes while fabctl talks to Fabric, after its walk of the folder and before it plans."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env.update(NO_COLOR="1", FABCTL_USER="dora")
    with running_emulator("--lro-ms", "0", "--sql-endpoint-ms", "0", tmp_path=tmp_path) as emulator:
        deploy = [*COMMAND, "deploy", "sales", "--env", "dev", "--fabric-url", emulator.url]
        first = subprocess.run(deploy, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stdout + first.stderr
        # Every call now takes a second: the workspace lookup, then listing its items and folders,
        # all made after the walk and before the first definition file is read.
        configure(emulator, latency_ms=1000)
        before = requests_log(emulator)["total"]
        with subprocess.Popen(
            deploy, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as again:
            while requests_log(emulator)["total"] == before and again.poll() is None:
                time.sleep(0.02)
            (source / NOTEBOOK_FILE).unlink()
            stdout, stderr = again.communicate(timeout=120)

    output = f"exit code {again.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    assert again.returncode == USER_ERROR, output
    assert "Traceback" not in stdout + stderr, output
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert f"sales/{NOTEBOOK_FILE}" in lines[0] and "no longer exists" in lines[0], output
