"""Every command documents itself: `--help` exits 0, names the arguments and options, and touches nothing.

The top-level help lists every command with its whole first sentence and states the exit codes;
`--version` is the installed distribution's version.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from cli import run

OUTPUT = "--output"

HELP = {
    (): [
        "plan",
        "deploy",
        "promote",
        "tx",
        "state",
        "events",
        "emulator",
        "completion",
        "worker",
        "doctor",
        "notify",
        "audit",
        "rules",
        "init",
        "schema",
        "--version",
        "--help",
        "Exit codes",
    ],
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
        "--detailed-exitcode",
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
    ("state",): ["migrate"],
    ("state", "migrate"): ["--to", "azure", "sqlite", "must be empty", "never changed", OUTPUT],
    ("tx", "list"): ["--workspace-id", OUTPUT],
    ("tx", "show"): ["TRANSACTION_ID", OUTPUT],
    ("tx", "recover"): ["TRANSACTION_ID", "--rollback", "--resume", "--force", "--fabric-url", OUTPUT, "Examples"],
    ("tx", "revert"): ["TRANSACTION_ID", "--force", "--fabric-url", "--user", OUTPUT, "Examples"],
    ("events",): ["--limit", OUTPUT, "list", "relay"],
    ("events", "list"): ["--limit", OUTPUT],
    ("events", "relay"): [OUTPUT, "FABCTL_EVENT_BUS", "Exit code 1", "Examples"],
    ("rules",): ["check"],
    ("rules", "check"): ["SOURCE_DIR", "--from", "--to", "--change", "--emergency", "--at", OUTPUT, "Exit code 0"],
    ("init",): ["[DIRECTORY]", "--from-workspace", "--env", "--ci", "--force", "--fabric-url", OUTPUT, "Examples"],
    ("schema",): ["workspace-config", "parameter", "principals", ".schemas/"],
    ("audit",): ["verify", "export", "audit_head", "docs/audit.md"],
    ("audit", "verify"): ["[REQUEST_ID]...", "--head", OUTPUT, "Exit code 0", "Examples"],
    ("audit", "export"): ["--format", "jsonl", "csv", "--since", "Examples"],
    ("notify",): [OUTPUT, "FABCTL_NOTIFICATIONS_FILE", "list", "retry"],
    ("notify", "list"): [OUTPUT],
    ("notify", "retry"): ["[ID]...", OUTPUT, "Exit code 1", "Examples"],
    ("worker",): [
        "--concurrency",
        "--max-messages",
        "--idle-exit",
        "--sweep-every",
        OUTPUT,
        "SIGTERM",
        "FABCTL_COMMANDS_QUEUE",
        "FABCTL_SERVICEBUS_NAMESPACE",
        "FABCTL_SERVICEBUS_CONNECTION_STRING",
    ],
    ("emulator",): ["serve"],
    ("doctor",): ["SOURCE_DIR", "--config", "--parameter", "--fabric-url", OUTPUT, "Exit code 0", "Examples"],
    ("completion",): ["bash", "zsh", "fish", "~/.bashrc", "~/.zshrc", "~/.config/fish/completions/fabctl.fish"],
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
        "--fault-weights",
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
    groups = [(), ("promote",), ("tx",), ("state",), ("events",), ("emulator",), ("notify",), ("audit",), ("rules",)]
    for group in groups:
        result = run(tmp_path, *group, "--help")
        assert result.returncode == 0, result.stdout + result.stderr
        listing = result.stdout.split("Commands:", 1)[1].split("\n\n", 1)[0]  # not the epilog below it
        shown = {(*group, match) for match in re.findall(r"^  (\S+)", listing, flags=re.MULTILINE)}
        assert shown, result.stdout
        assert shown <= HELP.keys(), f"commands without a help case: {sorted(shown - HELP.keys())}"


def test_top_level_help_lists_every_command_with_its_whole_first_sentence(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")

    listing = result.stdout.split("Commands:", 1)[1].split("\n\n", 1)[0]
    summaries: dict[str, str] = {}
    for line in listing.splitlines():
        if match := re.match(r"^  (\S+)\s+(.*)$", line):
            name = match.group(1)
            summaries[name] = match.group(2)
        elif line.strip():
            summaries[name] += " " + line.strip()  # a wrapped summary goes on below
    commands = {
        "audit", "completion", "deploy", "doctor", "emulator", "events", "init", "notify", "plan", "promote", "rules",
        "schema", "state", "tx", "worker",
    }  # fmt: skip
    assert set(summaries) == commands, listing
    cut = {name: text for name, text in summaries.items() if text.endswith("...") or not text.endswith(".")}
    assert not cut, f"summaries cut short: {cut}"
    assert (
        summaries["deploy"]
        == "Deploy SOURCE_DIR to the environment's workspace, in dependency order, in a transaction."
    )
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout


def test_top_level_help_states_every_exit_code(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")

    table = result.stdout.split("Exit codes:", 1)[1]
    stated = dict(re.findall(r"^    (\d+) +(.*)$", table, flags=re.MULTILINE))
    assert list(stated) == ["0", "1", "2", "3", "4", "130", "143"], table
    assert stated["0"].startswith("success")
    assert stated["1"].startswith("internal error")
    assert stated["2"].startswith("user error") and "credentials" in table
    assert stated["3"].startswith("a deployment failed")
    assert stated["4"].startswith("plan --detailed-exitcode")
    assert "SIGINT" in stated["130"] and "SIGTERM" in stated["143"]


@pytest.mark.parametrize(
    ("command", "statements"),
    [
        (("plan",), ["--detailed-exitcode", "4 when", "never exits 3"]),
        (("deploy",), ["Exit code 3"]),
        (("tx", "recover"), ["Exit code 3"]),
        (("tx", "revert"), ["(exit code 2)", "Exit code 3"]),
    ],
    ids=lambda c: " ".join(c) if isinstance(c, tuple) else "",
)
def test_commands_whose_exit_codes_differ_say_so(
    tmp_path: Path, command: tuple[str, ...], statements: list[str]
) -> None:
    text = " ".join(run(tmp_path, *command, "--help").stdout.split())

    missing = [statement for statement in statements if statement not in text]
    assert not missing, f"`fabctl {' '.join(command)} --help` does not say {missing}:\n{text}"


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"fabctl, version {importlib.metadata.version('fabctl')}\n"


@pytest.mark.parametrize(
    ("group", "commands", "whole"),
    [
        (
            "promote",
            {"approve", "cancel", "list", "reject", "request", "show"},
            ("approve", "Approve a request; the last approval needed deploys it to the target environment."),
        ),
        (
            "tx",
            {"list", "recover", "revert", "show"},
            ("recover", "Finish a transaction a crash left unfinished: --rollback undoes it, --resume completes it."),
        ),
    ],
)
def test_group_help_lists_every_command_with_its_whole_first_sentence(
    tmp_path: Path, group: str, commands: set[str], whole: tuple[str, str]
) -> None:
    result = run(tmp_path, group, "--help")

    listing = result.stdout.split("Commands:", 1)[1]
    summaries: dict[str, str] = {}
    for line in listing.splitlines():
        if match := re.match(r"^  (\S+)\s+(.*)$", line):
            name = match.group(1)
            summaries[name] = match.group(2)
        elif line.strip():
            summaries[name] += " " + line.strip()
    assert set(summaries) == commands, listing
    assert not [text for text in summaries.values() if text.endswith("...")], listing
    assert summaries[whole[0]] == whole[1]
