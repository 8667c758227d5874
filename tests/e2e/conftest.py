"""Fixtures for the end-to-end tests: each test gets its own copy of the example and its own `.fabctl/`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of examples/sales-workspace in `tmp_path`; run the CLI with `cwd=tmp_path`."""
    target = tmp_path / "sales-workspace"
    shutil.copytree(EXAMPLE, target)
    return target
