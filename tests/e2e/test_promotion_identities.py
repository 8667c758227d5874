"""Who may approve or cancel a promotion, through the real CLI: identities compare as identities.

A name is normalised (Unicode NFKC, case-folded, trimmed; `DOMAIN\\user` and `user@domain` of one
account are one person) before any rule looks at it, and a name with confusable characters is refused
at the edge naming the flag (or FABCTL_USER) it came from.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from cli import EXAMPLE, run, run_json

CYRILLIC_A = "\u0430"  # looks like a Latin "a"
ZERO_WIDTH_SPACE = "\u200b"


def one_error_line(result: Any, code: int = 2) -> str:
    output = f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == code, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    line: str = lines[0]
    return line


def requested(cwd: Path, requester: str, source_environment: str = "dev") -> dict[str, Any]:
    """A promotion request by `requester`; the example is first copied and deployed to dev if need be."""
    if not (cwd / "sales").exists():
        shutil.copytree(EXAMPLE, cwd / "sales")
        run_json(cwd, "deploy", "sales", "--env", "dev")
    request: dict[str, Any] = run_json(
        cwd, "promote", "request", "sales", "--from", source_environment, "--user", requester
    )
    return request


def transactions(cwd: Path) -> list[tuple[str, str]]:
    return [(t["environment"], t["state"]) for t in run_json(cwd, "tx", "list")]


@pytest.mark.parametrize("spelling", ["Alice", "alice ", "ALICE", "\uff21lice", "CONTOSO\\alice", "alice@contoso.com"])
def test_the_requester_cannot_approve_under_another_spelling_of_their_name(tmp_path: Path, spelling: str) -> None:
    request = requested(tmp_path, "alice@contoso.com")

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", spelling)

    assert "separation of duties" in one_error_line(refused)
    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert (shown["state"], shown["approvals"]) == ("requested", [])
    assert transactions(tmp_path) == [("dev", "committed")]


def test_one_person_under_two_spellings_is_one_approver(tmp_path: Path) -> None:
    to_test = requested(tmp_path, "alice")
    run_json(tmp_path, "promote", "approve", to_test["id"], "--user", "bob")
    to_prod = requested(tmp_path, "alice", "test")
    assert to_prod["required_approvals"] == 2  # prod: a semantic model and a report need two approvers
    run_json(tmp_path, "promote", "approve", to_prod["id"], "--user", "Bob")

    for spelling in ("BOB", " bob", "\uff42\uff4f\uff42"):  # the last one in fullwidth letters
        refused = run(tmp_path, "promote", "approve", to_prod["id"], "--user", spelling)
        assert "has already approved" in one_error_line(refused), spelling

    shown = run_json(tmp_path, "promote", "show", to_prod["id"])
    assert shown["state"] == "requested" and [a["approver"] for a in shown["approvals"]] == ["bob"]
    assert ("prod", "committed") not in transactions(tmp_path)
    run_json(tmp_path, "promote", "approve", to_prod["id"], "--user", "carol")
    assert run_json(tmp_path, "promote", "show", to_prod["id"])["state"] == "succeeded"


@pytest.mark.parametrize(
    ("name", "character"),
    [
        (f"{CYRILLIC_A}lice", "U+0430 CYRILLIC SMALL LETTER A"),
        (f"b{ZERO_WIDTH_SPACE}ob", "U+200B ZERO WIDTH SPACE"),
        ("bob\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_a_name_with_confusable_characters_is_refused_naming_the_flag(
    tmp_path: Path, name: str, character: str
) -> None:
    request = requested(tmp_path, "alice")

    by_flag = one_error_line(run(tmp_path, "promote", "approve", request["id"], "--user", name))
    by_environment = one_error_line(run(tmp_path, "promote", "approve", request["id"], user=name))

    assert "--user" in by_flag and character in by_flag
    assert "FABCTL_USER" in by_environment and character in by_environment
    assert run_json(tmp_path, "promote", "show", request["id"])["approvals"] == []


def test_a_confusable_requester_cannot_open_a_request(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    run_json(tmp_path, "deploy", "sales", "--env", "dev")

    refused = run(tmp_path, "promote", "request", "sales", "--from", "dev", "--user", f"{CYRILLIC_A}lice")

    assert "--user" in one_error_line(refused)
    assert run_json(tmp_path, "promote", "list") == []


def test_only_the_requester_or_an_approver_may_cancel(tmp_path: Path) -> None:
    to_test = requested(tmp_path, "alice")
    run_json(tmp_path, "promote", "approve", to_test["id"], "--user", "bob")
    to_prod = requested(tmp_path, "alice", "test")
    run_json(tmp_path, "promote", "approve", to_prod["id"], "--user", "bob")

    refused = run(tmp_path, "promote", "cancel", to_prod["id"], "--user", "mallory")

    assert "only the requester or an approver" in one_error_line(refused)
    assert run_json(tmp_path, "promote", "show", to_prod["id"])["state"] == "requested"
    cancelled = run_json(tmp_path, "promote", "cancel", to_prod["id"], "--user", "BOB")
    assert cancelled["state"] == "cancelled"
    again = requested(tmp_path, "alice", "test")
    by_requester = run_json(tmp_path, "promote", "cancel", again["id"], "--user", " Alice ")
    assert by_requester["state"] == "cancelled"
