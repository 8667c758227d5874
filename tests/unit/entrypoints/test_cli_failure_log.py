"""An unexpected error keeps its traceback in `fabctl.log` of the state folder the settings name,
even before the application is built; an unusable state folder is named, never a traceback on screen.

The command that fails is a stand-in for a bug, under the real `FabctlGroup` that `fabctl` uses.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fabctl.entrypoints.cli.main import FabctlGroup


@click.group(cls=FabctlGroup)
def fabctl_under_test() -> None:
    """Like `fabctl`, with one command that has a bug."""


@fabctl_under_test.command()
def crash() -> None:
    raise RuntimeError("a bug that was not caught")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("FABCTL_STATE_DIR", "FABCTL_CONFIG_FILE", "FABCTL_STATE_STORE", "FABCTL_FABRIC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # where a log that cannot be kept goes
    return temporary


def test_the_log_goes_to_the_state_folder_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_STATE_DIR", "kept/state")

    result = CliRunner().invoke(fabctl_under_test, ["crash"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == "details: kept/state/fabctl.log"
    assert "RuntimeError: a bug that was not caught" in Path("kept/state/fabctl.log").read_text(encoding="utf-8")
    assert not Path(".fabctl").exists()


def test_the_log_goes_to_the_state_folder_fabctl_toml_names() -> None:
    Path("fabctl.toml").write_text('state_dir = "from-file"\n', encoding="utf-8")

    result = CliRunner().invoke(fabctl_under_test, ["crash"])

    assert result.exit_code == 1
    assert "RuntimeError" in Path("from-file/fabctl.log").read_text(encoding="utf-8")


def test_a_state_folder_the_log_cannot_be_written_in_is_named(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    Path("notes.txt").write_text("a file, not a folder\n", encoding="utf-8")
    monkeypatch.setenv("FABCTL_STATE_DIR", "notes.txt/state")

    result = CliRunner().invoke(fabctl_under_test, ["crash"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    details = result.stderr.splitlines()[-1]
    assert "notes.txt/state/fabctl.log could not be written" in details
    assert "FABCTL_STATE_DIR" in details
    (kept,) = isolated.glob("fabctl-*.log")  # the traceback is not lost: it is named in the details
    assert str(kept) in details
    assert "RuntimeError: a bug that was not caught" in kept.read_text(encoding="utf-8")
