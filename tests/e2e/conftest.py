"""Fixtures for the end-to-end tests: each test gets its own copy of the example and its own `.fabctl/`,
or an emptied emulator that its test module shares."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import EXAMPLE, run
from emulator_process import RunningEmulator
from refusals import CLEAN, SOURCE
from sources import fresh, module_emulator


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of examples/sales-workspace in `tmp_path`; run the CLI with `cwd=tmp_path`."""
    target = tmp_path / "sales-workspace"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture
def deployed_dev(workspace: Path) -> Path:
    """The example deployed to dev, so there is state (a transaction, events) a bad command must not touch,
    with an untouched copy beside it to plan against (`refusals.CLEAN`)."""
    shutil.copytree(workspace, workspace.parent / CLEAN)
    result = run(workspace.parent, "deploy", SOURCE, "--env", "dev", user="dora")
    assert result.returncode == 0, result.stdout + result.stderr
    return workspace


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One emulator per test module: starting one costs about a second."""
    with module_emulator(tmp_path_factory.mktemp("emulator")) as emulator:
        yield emulator


@pytest.fixture
def emulator(served: RunningEmulator) -> RunningEmulator:
    """The module's emulator, emptied and on its default knobs."""
    return fresh(served)
