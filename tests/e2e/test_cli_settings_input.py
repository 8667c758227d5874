"""fabctl's own settings and state files, malformed or unusable, through the real CLI.

`fabctl.toml` (or the file `FABCTL_CONFIG_FILE` names), `FABCTL_STATE_DIR`, and the two SQLite files
fabctl keeps there. Each case was exit 1 with a traceback in the log before: now exit code 2, one line
naming the file or the setting and what to do, no traceback, and nothing written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from cli import COMMAND, EXAMPLE
from test_cli_bad_input import SOURCE, assert_user_error

CI_RUNS_AS_ROOT = os.geteuid() == 0


def fabctl(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`fabctl ARGS...` in `cwd` with no FABCTL_* variable but those of `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    environment.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


LOCAL_FABRIC = ".fabctl/local-fabric.db"


def files_under(root: Path) -> dict[str, bytes | None]:
    """Every path below `root` with its bytes (None for a directory): what 'nothing written' compares.

    The local Fabric's file is compared by what it holds (`local_fabric`), not byte for byte: opening
    it stamps its header, and a command that fails on the state store has opened it first.
    """
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        if str(path.relative_to(root)).startswith(LOCAL_FABRIC):
            continue
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            found[str(path.relative_to(root))] = b"<special>"
        else:
            found[str(path.relative_to(root))] = None if path.is_dir() else path.read_bytes()
    return found


def local_fabric(root: Path) -> list[tuple[object, ...]]:
    """The workspaces, items and definition parts the local Fabric under `root` holds (none if no file;
    its bytes if it is no database)."""
    path = root / LOCAL_FABRIC
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return [
                *db.execute("SELECT id, display_name FROM workspaces ORDER BY id"),
                *db.execute("SELECT id, workspace_id, type, display_name FROM items ORDER BY id"),
                *db.execute("SELECT item_id, path, payload FROM definition_parts ORDER BY item_id, path"),
            ]
    except sqlite3.DatabaseError:
        return [("not a database", path.read_bytes())]


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / SOURCE)
    return tmp_path


def refused(cwd: Path, *fragments: str, env: Mapping[str, str] | None = None, command: str = "deploy") -> str:
    """`fabctl deploy` (or `tx list`) refused with one line holding `fragments`; nothing under `cwd` changed."""
    before, fabric_before = files_under(cwd), local_fabric(cwd)
    args = ("tx", "list") if command == "tx" else (command, SOURCE, "--env", "dev")
    line = assert_user_error(fabctl(cwd, *args, env=env), *fragments)
    assert files_under(cwd) == before
    assert local_fabric(cwd) == fabric_before
    return line


# --- fabctl.toml ------------------------------------------------------------------------------


def test_a_malformed_fabctl_toml_is_refused_with_line_and_column(cwd: Path) -> None:
    (cwd / "fabctl.toml").write_text('user = "ann"\nstate_dir = \n', encoding="utf-8")

    line = refused(cwd, "fabctl.toml", "line 2")

    assert "invalid TOML" in line


def test_a_config_file_that_is_not_toml_is_refused(cwd: Path) -> None:
    (cwd / "settings.bin").write_bytes(b"\xff\xfe\x00\x01 not toml")

    line = refused(cwd, "settings.bin", "FABCTL_CONFIG_FILE", env={"FABCTL_CONFIG_FILE": "settings.bin"})

    assert "UTF-8" in line


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo"])
def test_a_config_file_that_cannot_be_read_is_refused(cwd: Path, kind: str) -> None:
    if kind == "directory":
        (cwd / "conf").mkdir()
    elif kind == "fifo":
        os.mkfifo(cwd / "conf")

    refused(cwd, "conf", "FABCTL_CONFIG_FILE", env={"FABCTL_CONFIG_FILE": "conf"})


def test_an_unknown_key_in_fabctl_toml_names_the_keys_it_knows(cwd: Path) -> None:
    (cwd / "fabctl.toml").write_text('stat_dir = "st"\n', encoding="utf-8")

    line = refused(cwd, "fabctl.toml", "stat_dir")

    assert "'state_dir'" in line
    for key in ("state_store", "fabric", "fabric_url", "fabric_trace", "user"):
        assert key in line


def test_one_setting_given_twice_in_fabctl_toml_is_refused(cwd: Path) -> None:
    (cwd / "fabctl.toml").write_text('state_dir = "a"\nFABCTL_STATE_DIR = "b"\n', encoding="utf-8")

    refused(cwd, "fabctl.toml", "state_dir", "FABCTL_STATE_DIR")


# --- FABCTL_STATE_DIR -------------------------------------------------------------------------


def unwritable_directory(tmp_path: Path) -> Path:
    """An existing directory this process cannot create a file in.

    CI runs as root, which writes through any mode bits: there, sysfs, whose directories refuse new
    files even to root. Elsewhere, a directory without write permission.
    """
    if CI_RUNS_AS_ROOT:
        directory = Path("/sys")
    else:
        directory = tmp_path / "read-only"
        directory.mkdir()
        directory.chmod(0o555)
    with pytest.raises(OSError):
        (directory / "probe").write_bytes(b"")
    return directory


@pytest.mark.parametrize("kind", ["a-file", "under-a-file", "unwritable", "name-too-long", "path-too-long"])
def test_a_state_dir_fabctl_cannot_use_is_refused_naming_the_setting(cwd: Path, tmp_path_factory, kind: str) -> None:
    (cwd / "notes.txt").write_text("a file, not a folder\n", encoding="utf-8")
    state_dir = {
        "a-file": "notes.txt",
        "under-a-file": "notes.txt/state",
        "unwritable": str(unwritable_directory(tmp_path_factory.mktemp("unwritable"))),
        "name-too-long": "s" * 300,
        "path-too-long": "/".join(["s" * 200] * 25),
    }[kind]

    line = refused(cwd, "FABCTL_STATE_DIR", env={"FABCTL_STATE_DIR": state_dir})

    assert state_dir[:100] in line
    assert len(line) < 600


def test_a_state_dir_set_in_fabctl_toml_is_named_as_such(cwd: Path) -> None:
    (cwd / "notes.txt").write_text("a file, not a folder\n", encoding="utf-8")
    (cwd / "fabctl.toml").write_text('state_dir = "notes.txt"\n', encoding="utf-8")

    refused(cwd, "'state_dir' in fabctl.toml", "notes.txt")


# --- damaged state files ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["deploy", "plan", "tx"])
def test_a_damaged_state_db_is_named_with_what_to_do(cwd: Path, command: str) -> None:
    (cwd / ".fabctl").mkdir()
    (cwd / ".fabctl" / "state.db").write_bytes(b"this is not a SQLite database\n" * 200)

    line = refused(cwd, ".fabctl/state.db", command=command)

    assert "damaged" in line
    assert "move it aside" in line


def test_a_truncated_state_db_is_named_with_what_to_do(cwd: Path) -> None:
    assert fabctl(cwd, "deploy", SOURCE, "--env", "dev").returncode == 0
    state = cwd / ".fabctl" / "state.db"
    data = state.read_bytes()
    assert len(data) > 8192
    state.write_bytes(data[: len(data) // 2])

    line = refused(cwd, ".fabctl/state.db", command="tx")

    assert "damaged" in line


def test_a_damaged_local_fabric_is_named_with_what_to_do(cwd: Path) -> None:
    (cwd / ".fabctl").mkdir()
    (cwd / ".fabctl" / "local-fabric.db").write_bytes(b"\x00garbage" * 1000)

    line = refused(cwd, ".fabctl/local-fabric.db", command="plan")

    assert "damaged" in line
    assert "move it aside" in line
