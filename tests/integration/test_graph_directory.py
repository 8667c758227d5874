"""`GraphDirectory` with httpx for real against the emulator's Graph routes (`/graph/v1.0`), seeded through
`POST /_emulator/graph`: resolution of users, groups and service principals, nested groups, paging, 403
naming the permission, 429 then success."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator

from fabctl.adapters.directory.graph import GraphDirectory
from fabctl.adapters.directory.graph_http import GraphClient
from fabctl.application.errors import DirectoryUnavailable
from fabctl.domain.errors import NotFound

ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
DEPLOYER_SP = "33333333-3333-3333-3333-333333333333"
DEPLOYER_APP = "a0a0a0a0-0000-0000-0000-000000000001"


def seed(emulator: RunningEmulator, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(f"{emulator.admin}/graph", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def directory(emulator: RunningEmulator, waits: list[float] | None = None) -> GraphDirectory:
    sleep = (waits.append) if waits is not None else (lambda _s: None)
    return GraphDirectory(GraphClient(emulator.root + "/graph", token=None, sleep=sleep))


@pytest.fixture
def approvers(fresh_emulator: RunningEmulator) -> RunningEmulator:
    seed(
        fresh_emulator,
        {
            "users": [
                {"userPrincipalName": "alice@contoso.com", "id": ALICE},
                {"userPrincipalName": "bob@contoso.com", "id": BOB},
            ],
            "servicePrincipals": [{"appId": DEPLOYER_APP, "id": DEPLOYER_SP}],
            "groups": [{"displayName": "Release Approvers"}, {"displayName": "Platform Leads"}],
            "members": {"Release Approvers": ["Platform Leads", DEPLOYER_APP], "Platform Leads": ["alice@contoso.com"]},
        },
    )
    return fresh_emulator


def test_a_user_in_a_nested_group_is_a_member_by_upn(approvers: RunningEmulator) -> None:
    graph = directory(approvers)
    assert graph.is_member("Release Approvers", actor="Alice@Contoso.com")
    assert not graph.is_member("Release Approvers", actor="bob@contoso.com")


def test_a_service_principal_is_a_member_by_app_id(approvers: RunningEmulator) -> None:
    graph = directory(approvers)
    assert graph.principal_id(DEPLOYER_APP) == DEPLOYER_SP
    assert graph.is_member("Release Approvers", actor=DEPLOYER_APP)
    assert not graph.is_member("Platform Leads", actor=DEPLOYER_APP)


def test_resolve_lists_the_transitive_members_by_object_id(approvers: RunningEmulator) -> None:
    graph = directory(approvers)
    members = graph.resolve("Release Approvers")
    assert {ALICE, DEPLOYER_SP} <= members
    assert BOB not in members
    assert graph.group_id("Platform Leads") in members  # Graph lists the nested group too


def test_an_object_id_given_is_used_without_looking_the_actor_up(approvers: RunningEmulator) -> None:
    assert directory(approvers).is_member("Platform Leads", actor="someone-renamed@contoso.com", object_id=ALICE)


def test_unknown_principals_belong_to_no_group_and_an_unknown_group_is_not_found(approvers: RunningEmulator) -> None:
    graph = directory(approvers)
    assert not graph.is_member("Release Approvers", actor="mallory@contoso.com")
    assert not graph.is_member("Release Approvers", actor="not-a-upn")
    with pytest.raises(NotFound, match="Nobody's Group"):
        graph.resolve("Nobody's Group")  # the quote is escaped, not a broken filter


def test_members_are_read_across_pages(fresh_emulator: RunningEmulator) -> None:
    users = [{"userPrincipalName": f"user{i}@contoso.com"} for i in range(1005)]  # more than one page of 999
    ids = seed(fresh_emulator, {"users": users, "groups": [{"displayName": "Everyone"}]})["ids"]
    seed(fresh_emulator, {"members": {"Everyone": [u["userPrincipalName"] for u in users]}})
    members = directory(fresh_emulator).resolve("Everyone")
    assert members == {ids[u["userPrincipalName"]] for u in users}


def test_the_emulator_pages_with_top_and_next_link(approvers: RunningEmulator) -> None:
    first = httpx.get(approvers.root + "/graph/v1.0/users", params={"$top": "1"}).json()
    assert len(first["value"]) == 1
    second = httpx.get(first["@odata.nextLink"]).json()
    assert len(second["value"]) == 1 and "@odata.nextLink" not in second
    assert {first["value"][0]["id"], second["value"][0]["id"]} == {ALICE, BOB}


@pytest.mark.parametrize(
    ("denied", "actor", "permission"),
    [
        ("groups", "alice@contoso.com", "GroupMember.Read.All"),
        ("users", "alice@contoso.com", "User.Read.All"),
        ("servicePrincipals", DEPLOYER_APP, "Application.Read.All"),
    ],
)
def test_a_403_names_the_permission_and_the_fallback(
    approvers: RunningEmulator, denied: str, actor: str, permission: str
) -> None:
    seed(approvers, {"deny": [denied]})
    with pytest.raises(DirectoryUnavailable) as refused:
        directory(approvers).is_member("Release Approvers", actor=actor)
    assert refused.value.permission == permission
    assert permission in refused.value.message and "principals.yaml" in refused.value.message


def test_429_is_retried_after_its_retry_after_then_answers(approvers: RunningEmulator) -> None:
    seed(approvers, {"throttle": {"count": 2, "retry_after_s": 3}})
    waits: list[float] = []
    assert directory(approvers, waits).is_member("Platform Leads", actor="alice@contoso.com")
    assert waits == [3.0, 3.0]


def test_throttling_past_the_attempts_is_unavailable_not_a_guess(approvers: RunningEmulator) -> None:
    seed(approvers, {"throttle": {"count": 50, "retry_after_s": 0}})
    with pytest.raises(DirectoryUnavailable, match="429 after 5 attempts"):
        directory(approvers).is_member("Platform Leads", actor="alice@contoso.com")


def test_graph_errors_have_graphs_shape(approvers: RunningEmulator) -> None:
    missing = httpx.get(approvers.root + f"/graph/v1.0/groups/{BOB}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert "request-id" in missing.json()["error"]["innerError"]
    unsupported = httpx.get(approvers.root + "/graph/v1.0/users", params={"$filter": "mail eq 'a@b.c'"})
    assert (unsupported.status_code, unsupported.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")


def test_a_refused_seed_changes_nothing(fresh_emulator: RunningEmulator) -> None:
    body = {"users": [{"userPrincipalName": "carol@contoso.com"}], "members": {"No Such Group": ["carol@contoso.com"]}}
    with pytest.raises(urllib.error.HTTPError) as refused:
        seed(fresh_emulator, body)
    assert refused.value.code == 400 and "No Such Group" in refused.value.read().decode()
    assert directory(fresh_emulator).principal_id("carol@contoso.com") is None


def test_two_groups_with_one_name_are_refused_not_guessed(approvers: RunningEmulator) -> None:
    seed(approvers, {"groups": [{"displayName": "release approvers"}]})
    with pytest.raises(DirectoryUnavailable, match=r"2 groups .* object id"):
        directory(approvers).resolve("Release Approvers")
