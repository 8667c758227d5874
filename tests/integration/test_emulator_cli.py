"""`fabctl emulator serve` as a command: its help documents every knob, bad input is a user error."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

FABCTL = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]

# Every knob of docs/emulator.md, with the default the help must show.
KNOBS = {
    "--host": "127.0.0.1",
    "--port": "0",
    "--state-dir": "in memory",
    "--tls-cert": None,
    "--tls-key": None,
    "--page-size": "0",
    "--throttle-rpm": "0",
    "--fault-rate": "0.0",
    "--fault-kinds": "500,reset,token-expired,failed-operation",
    "--seed": "0",
    "--latency-ms": "0",
    "--lro-ms": "1000",
    "--lro-share": "1.0",
    "--name-reservation-seconds": "0.0",
    "--reserved-name-status": "409",
    "--sql-endpoint-ms": "1000",
}


def fabctl(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FABCTL, *args], cwd=tmp_path, capture_output=True, text=True, timeout=timeout, check=False)


def option_help(help_text: str, option: str) -> str:
    """The help paragraph of `option`: from its line to the next option line."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option + " ") or line.strip() == option)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.strip().startswith("-")), len(rest))
    joined = " ".join(line.strip() for line in [lines[start], *rest[:end]])
    return re.sub(r"(?<=\w)- (?=\w)", "-", joined)  # click wraps after hyphens: "token- expired"


def test_serve_help_documents_every_knob_with_its_default(tmp_path: Path) -> None:
    result = fabctl(tmp_path, "emulator", "serve", "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: fabctl emulator serve")
    for option, default in KNOBS.items():
        assert option in result.stdout, option
        described = option_help(result.stdout, option)
        assert len(described) > len(option) + 20, f"{option} is not explained: {described!r}"
        if default is not None:
            assert default in described, f"{option} does not show its default {default}: {described!r}"
    for admin in ("/_emulator/reset", "/_emulator/snapshot", "/_emulator/requests", "/_emulator/config"):
        assert admin in result.stdout
    assert not (tmp_path / ".fabctl").exists(), "asking for help created state"


def test_the_emulator_group_is_listed_by_fabctl(tmp_path: Path) -> None:
    top = fabctl(tmp_path, "--help")
    group = fabctl(tmp_path, "emulator", "--help")

    assert "emulator" in top.stdout
    assert group.returncode == 0
    assert "serve" in group.stdout
    assert "--fabric-url http://127.0.0.1:PORT/v1" in group.stdout


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--fault-kinds", "500,boom"], "boom"),
        (["--fault-rate", "1.5"], "--fault-rate"),
        (["--lro-share", "-0.1"], "--lro-share"),
        (["--reserved-name-status", "418"], "--reserved-name-status"),
    ],
)
def test_invalid_knobs_are_a_user_error(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = fabctl(tmp_path, "emulator", "serve", "--port", "0", *args)

    assert result.returncode == 2
    assert complaint in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_a_user_error_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = fabctl(tmp_path, "emulator", "serve", "--port", str(port))

    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
