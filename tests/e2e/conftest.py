"""Fixtures for the end-to-end tests: each test gets its own copy of the example and its own `.fabctl/`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli import EXAMPLE


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of examples/sales-workspace in `tmp_path`; run the CLI with `cwd=tmp_path`."""
    target = tmp_path / "sales-workspace"
    shutil.copytree(EXAMPLE, target)
    return target
