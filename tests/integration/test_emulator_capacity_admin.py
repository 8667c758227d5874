"""The emulator's admin surface for what Fabric's API only reads: a capacity's state and a principal's role.

The shared emulator's capacities survive its reset, so these tests add a capacity of their own instead of
pausing the default one."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.error import HTTPError

import httpx
import pytest
from emulator_process import RunningEmulator, set_capacity, set_role


def test_a_capacity_added_paused_is_listed_inactive_and_resumes(fresh_emulator: RunningEmulator) -> None:
    capacity_id = str(uuid.uuid4())

    added = set_capacity(fresh_emulator, id=capacity_id, displayName="Paused F8", state="inactive", sku="F8")

    assert (added["id"], added["displayName"], added["state"], added["sku"]) == (
        capacity_id,
        "Paused F8",
        "Inactive",
        "F8",
    )
    listed = {c["id"]: c["state"] for c in httpx.get(fresh_emulator.url + "/capacities").json()["value"]}
    assert listed[capacity_id] == "Inactive"
    set_capacity(fresh_emulator, id=capacity_id, displayName="Paused F8", state="Active")
    listed = {c["id"]: c["state"] for c in httpx.get(fresh_emulator.url + "/capacities").json()["value"]}
    assert listed[capacity_id] == "Active"


def test_a_capacity_state_fabric_does_not_have_is_400(fresh_emulator: RunningEmulator) -> None:
    with pytest.raises(HTTPError) as refused:
        set_capacity(fresh_emulator, id=str(uuid.uuid4()), displayName="Odd", state="Paused")

    assert refused.value.code == 400
    assert "Unknown capacity state 'Paused'; expected one of Active, Inactive" in refused.value.read().decode()


def test_a_role_set_replaces_the_one_held(fresh_emulator: RunningEmulator) -> None:
    workspace = httpx.post(fresh_emulator.url + "/workspaces", json={"displayName": "Roles"}).json()
    principal = str(uuid.uuid4())
    set_role(fresh_emulator, workspace["id"], principal, "Contributor")

    set_role(fresh_emulator, workspace["id"], principal, "viewer")

    roles = httpx.get(f"{fresh_emulator.url}/workspaces/{workspace['id']}/roleAssignments").json()["value"]
    assert [(r["principal"]["id"], r["role"]) for r in roles if r["principal"]["id"] == principal] == [
        (principal, "Viewer")
    ]
    assert len(roles) == 2  # and the creator, the Admin


def test_the_creator_named_by_its_token_is_the_admin(fresh_emulator: RunningEmulator) -> None:
    # An unsigned token carrying an oid: the emulator without --require-token-from tells callers apart by it.
    oid = "6b0a7e55-5555-4c4d-9e8f-0000000c4ea7"
    token = "eyJhbGciOiJub25lIn0." + _b64({"oid": oid}) + ".sig"
    headers = {"Authorization": f"Bearer {token}"}
    workspace = httpx.post(fresh_emulator.url + "/workspaces", json={"displayName": "Mine"}, headers=headers).json()

    roles = httpx.get(f"{fresh_emulator.url}/workspaces/{workspace['id']}/roleAssignments", headers=headers).json()

    assert [(r["principal"]["id"], r["role"]) for r in roles["value"]] == [(oid, "Admin")]


def _b64(claims: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
