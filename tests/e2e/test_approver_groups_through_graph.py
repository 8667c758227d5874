"""Approver groups answered by Microsoft Graph (FABCTL_DIRECTORY=graph) through the real CLI: the emulator's
Graph routes hold the group, httpx asks them at approval time, and principals.yaml is not read (the copy
here has none)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from cli import run, run_json
from emulator_process import RunningEmulator
from test_promotion_rules import error, governed


def seed_graph(emulator: RunningEmulator, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{emulator.admin}/graph", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_graph_says_who_is_in_the_approver_group(tmp_path: Path, emulator: RunningEmulator) -> None:
    seed_graph(emulator, {
        "users": [
            {"userPrincipalName": "bob@contoso.com", "id": "22222222-2222-2222-2222-222222222222"},
            {"userPrincipalName": "carol@contoso.com", "id": "44444444-4444-4444-4444-444444444444"},
        ],
        "groups": [{"displayName": "release-approvers"}],
        "members": {"release-approvers": ["bob@contoso.com"]},
    })  # fmt: skip
    source = governed(tmp_path, frozen=False)
    (source / "principals.yaml").unlink()  # Graph answers alone
    graph = {"FABCTL_DIRECTORY": "graph", "FABCTL_GRAPH_URL": emulator.root + "/graph"}
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567", env=graph)  # fmt: skip

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "carol@contoso.com", env=graph)
    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "bob@contoso.com", env=graph)

    assert "not a member of group 'release-approvers'" in error(refused)
    assert approved["state"] == "succeeded"
    assert approved["approvals"][0]["groups"] == ["release-approvers"]


def test_a_directory_that_refuses_names_the_permission_and_the_fallback(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    seed_graph(emulator, {"groups": [{"displayName": "release-approvers"}], "deny": ["groups"]})
    source = governed(tmp_path, frozen=False)
    (source / "principals.yaml").unlink()  # Graph answers alone
    graph = {"FABCTL_DIRECTORY": "graph", "FABCTL_GRAPH_URL": emulator.root + "/graph"}
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567", env=graph)  # fmt: skip

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "bob@contoso.com", env=graph)

    message = error(refused)
    assert "GroupMember.Read.All" in message and "principals.yaml" in message
    assert run_json(tmp_path, "promote", "show", request["id"])["approvals"] == []


def test_an_unknown_directory_kind_is_refused_naming_the_setting(tmp_path: Path) -> None:
    refused = run(tmp_path, "promote", "list", env={"FABCTL_DIRECTORY": "ldap"})

    assert "directory" in error(refused)


def test_graph_mode_resolves_the_names_principals_yaml_gives(tmp_path: Path, emulator: RunningEmulator) -> None:
    seed_graph(emulator, {
        "users": [
            {"userPrincipalName": "bob@contoso.com", "id": "22222222-2222-2222-2222-222222222222"},
            {"userPrincipalName": "erin@contoso.com", "id": "55555555-5555-5555-5555-555555555555"},
            {"userPrincipalName": "frank@contoso.com", "id": "66666666-6666-6666-6666-666666666666"},
        ],
        "groups": [{"displayName": "release-leads"}],
        "members": {"release-leads": ["erin@contoso.com"]},
    })  # fmt: skip
    source = governed(tmp_path, frozen=False)
    # The file names the members; 'release-leads' is not defined here, so it is a Graph group, read transitively.
    (source / "principals.yaml").write_text(
        "groups:\n"
        "  - {name: change-board, members: [dana@contoso.com]}\n"
        "  - {name: release-approvers, members: [bob@contoso.com, release-leads]}\n"
    )
    graph = {"FABCTL_DIRECTORY": "graph", "FABCTL_GRAPH_URL": emulator.root + "/graph"}
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567", env=graph)  # fmt: skip

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "frank@contoso.com", env=graph)
    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "erin@contoso.com", env=graph)

    assert "not a member of group 'release-approvers'" in error(refused)
    assert approved["state"] == "succeeded"
    assert approved["approvals"][0]["groups"] == ["release-approvers"]


def test_resolving_the_files_names_without_the_user_permission_names_it(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    seed_graph(emulator, {"deny": ["users"]})
    governed(tmp_path, frozen=False)  # its principals.yaml names release-approvers' members by UPN
    graph = {"FABCTL_DIRECTORY": "graph", "FABCTL_GRAPH_URL": emulator.root + "/graph"}
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567", env=graph)  # fmt: skip

    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "erin@contoso.com", env=graph)

    message = error(refused)
    assert "User.Read.All" in message and "principals.yaml" in message
    assert run_json(tmp_path, "promote", "show", request["id"])["approvals"] == []
