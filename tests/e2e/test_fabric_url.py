"""Issue 11, the Fabric URL, through the real CLI against the emulator: the root URL (fabric-cicd's
convention) works like the REST base, and credentials in a URL are refused before anything is stored,
logged or traced."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli import COMMAND
from emulator_process import RunningEmulator
from sources import SOURCE, items, new_source, notebook, write_item

PASSWORD = "pw-0f9e8d7c6b5a"  # the secret the tests look for everywhere


def fabctl(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`fabctl ARGS...` in `cwd` with exactly the FABCTL_* variables given in `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    environment.update(NO_COLOR="1", **env)
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def a_source(cwd: Path) -> None:
    root = new_source(cwd)
    write_item(root, "Notebook", "Load", notebook("print(1)"))


def test_the_root_url_reaches_the_rest_api_and_is_journaled_as_its_base(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    a_source(tmp_path)
    root = emulator.root  # http://127.0.0.1:PORT, without /v1

    by_flag = fabctl(tmp_path, "deploy", SOURCE, "--env", "dev", "--fabric-url", root, "-o", "json")
    by_variable = fabctl(tmp_path, "deploy", SOURCE, "--env", "dev", "-o", "json", FABCTL_FABRIC_URL=root + "/")
    listed = fabctl(tmp_path, "tx", "list", "-o", "json")

    assert by_flag.returncode == 0, by_flag.stderr
    assert by_variable.returncode == 0, by_variable.stderr
    assert sorted(items(emulator)) == ["Load.Notebook"]
    journaled = [t["fabric_url"] for t in json.loads(listed.stdout)]
    assert journaled == [emulator.url, emulator.url]  # the REST base, however it was given
    # Reverting the first deploy, with no URL given, reaches the Fabric it wrote to.
    first = json.loads(listed.stdout)[0]["id"]
    reverted = fabctl(tmp_path, "tx", "revert", first, "--force", "-o", "json")
    assert reverted.returncode == 0, reverted.stderr
    assert items(emulator) == {}


def test_credentials_in_the_url_are_refused_and_appear_nowhere(tmp_path: Path, emulator: RunningEmulator) -> None:
    a_source(tmp_path)
    with_password = emulator.url.replace("http://", f"http://deployer:{PASSWORD}@")
    trace = tmp_path / "trace.jsonl"

    results = [
        fabctl(
            tmp_path, "deploy", SOURCE, "--env", "dev", "--fabric-url", with_password, FABCTL_FABRIC_TRACE=str(trace)
        ),
        fabctl(
            tmp_path, "deploy", SOURCE, "--env", "dev", FABCTL_FABRIC_URL=with_password, FABCTL_FABRIC_TRACE=str(trace)
        ),
        fabctl(tmp_path, "plan", SOURCE, "--env", "dev", "-o", "json", FABCTL_FABRIC_URL=with_password),
    ]
    listed = fabctl(tmp_path, "tx", "list", "-o", "json")

    for result in results:
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "fabric_url" in result.stderr and "credentials" in result.stderr
        assert PASSWORD not in result.stdout + result.stderr
        assert "deployer" not in result.stdout + result.stderr
    assert PASSWORD not in listed.stdout + listed.stderr
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert [path for path in written if PASSWORD.encode() in path.read_bytes()] == []
    assert not trace.exists()  # nothing was sent, so nothing was traced
    assert items_or_none(emulator) is None  # and nothing reached the emulator


def items_or_none(emulator: RunningEmulator) -> dict[str, object] | None:
    try:
        return items(emulator)
    except AssertionError:  # no workspace named so
        return None
