"""Every command documents itself: `--help` exits 0, names the arguments and options, and touches nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli import run

OUTPUT = "--output"

HELP = {
    (): ["plan", "deploy", "promote", "tx", "events", "emulator", "--version", "--help", "Exit codes"],
    ("plan",): [
        "SOURCE_DIR",
        "--env",
        "--config",
        "--parameter",
        "--workspace-id",
        "--workspace",
        "--item",
        "--delete-orphans",
        "--type",
        "--folder",
        "--exclude",
        "--with-dependencies",
        "--delete-data-item",
        "--refresh",
        "--diff",
        "--report",
        "--fabric-url",
        OUTPUT,
        "Examples",
    ],
    ("deploy",): [
        "SOURCE_DIR",
        "--env",
        "--config",
        "--parameter",
        "--item",
        "--workspace-id",
        "--workspace",
        "--delete-orphans",
        "--type",
        "--folder",
        "--exclude",
        "--with-dependencies",
        "--delete-data-item",
        "--refresh",
        "--workers",
        "--report",
        "--junit",
        "--on-error",
        "stop",
        "continue",
        "rollback",
        "--user",
        "--fabric-url",
        OUTPUT,
        "Examples",
    ],
    ("promote",): ["request", "approve", "reject", "cancel", "show", "list", "approvals"],
    ("promote", "request"): ["SOURCE_DIR", "--from", "--to", "--item", "--note", "--config", "--user", "--fabric-url"],
    ("promote", "approve"): ["REQUEST_ID", "--comment", "--user", "--fabric-url", OUTPUT],
    ("promote", "reject"): ["REQUEST_ID", "--reason", "--user", OUTPUT],
    ("promote", "cancel"): ["REQUEST_ID", "--user", OUTPUT],
    ("promote", "show"): ["REQUEST_ID", OUTPUT],
    ("promote", "list"): [OUTPUT],
    ("tx",): ["list", "show"],
    ("tx", "list"): ["--workspace-id", OUTPUT],
    ("tx", "show"): ["TRANSACTION_ID", OUTPUT],
    ("tx", "recover"): ["TRANSACTION_ID", "--rollback", "--resume", "--force", "--fabric-url", OUTPUT, "Examples"],
    ("tx", "revert"): ["TRANSACTION_ID", "--force", "--fabric-url", "--user", OUTPUT, "Examples"],
    ("events",): ["--limit", OUTPUT],
    ("emulator",): ["serve"],
    ("emulator", "serve"): [
        "--host",
        "--port",
        "--state-dir",
        "--tls-cert",
        "--tls-key",
        "--page-size",
        "--throttle-rpm",
        "--fault-rate",
        "--fault-kinds",
        "--seed",
        "--latency-ms",
        "--lro-ms",
        "--lro-share",
        "--name-reservation-seconds",
        "/_emulator/reset",
        "/_emulator/snapshot",
        "/_emulator/requests",
    ],
}


@pytest.mark.parametrize("command", list(HELP), ids=lambda c: " ".join(c) or "fabctl")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_names_the_arguments_and_options(tmp_path: Path, command: tuple[str, ...], flag: str) -> None:
    result = run(tmp_path, *command, flag)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"Usage: fabctl {' '.join(command)}".rstrip())
    missing = [word for word in HELP[command] if word not in result.stdout]
    assert not missing, f"`fabctl {' '.join(command)} {flag}` does not mention {missing}:\n{result.stdout}"
    assert not (tmp_path / ".fabctl").exists(), "asking for help created state"


def test_every_subcommand_has_a_help_case(tmp_path: Path) -> None:
    """A new command without a case in HELP would go unchecked: compare with what each group lists."""
    for group in [(), ("promote",), ("tx",), ("emulator",)]:
        result = run(tmp_path, *group, "--help")
        assert result.returncode == 0, result.stdout + result.stderr
        listing = result.stdout.split("Commands:", 1)[1]
        shown = {(*group, match) for match in re.findall(r"^  (\S+)", listing, flags=re.MULTILINE)}
        assert shown, result.stdout
        assert shown <= HELP.keys(), f"commands without a help case: {sorted(shown - HELP.keys())}"
