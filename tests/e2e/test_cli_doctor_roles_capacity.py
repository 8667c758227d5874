"""`fabctl doctor`'s role and capacity checks through the real CLI against the emulator.

Roles: signed in (FABCTL_AUTH=client-secret, the emulator requiring the local authority's tokens), the
identity that created the workspace by deploying is its Admin, found by the object id in its token in
Fabric's roleAssignments; made a Viewer (the emulator's admin surface), the check fails naming the
identity, the workspace and the fix. Unsigned, and on the embedded local default, the check is skipped
saying why. Capacity: the workspace's capacity paused (state Inactive) fails naming it, with the fix."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_process import environment, fabctl
from emulator_process import RunningEmulator, running_emulator, set_capacity, set_role, snapshot
from entra_authority import principal_object_id
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity
from sources import DEV_WORKSPACE, EMULATOR_ARGS, SOURCE, new_source, notebook, write_item

OBJECT_ID = "246f11b4-5d6f-5313-9c73-0c1afa1f71ae"  # uuid5(NAMESPACE_URL, PRINCIPAL.client_id), written out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("world"))


@pytest.fixture
def guarded(world: SignedInIdentity, tmp_path: Path) -> Iterator[RunningEmulator]:
    args = (*EMULATOR_ARGS, "--require-token-from", AUTHORITY_URL)
    with running_emulator(*args, tmp_path=tmp_path, env=world.network()) as emulator:
        yield emulator


@pytest.fixture
def own_emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """An emulator of this test's own: pausing its capacity disturbs no other test."""
    with running_emulator(*EMULATOR_ARGS, tmp_path=tmp_path) as emulator:
        yield emulator


def doctor(cwd: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = fabctl(cwd, "doctor", SOURCE, *args, "-o", "json", env=env)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result, {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def _deployed(cwd: Path, env: dict[str, str], emulator: RunningEmulator) -> str:
    write_item(new_source(cwd), "Notebook", "Load", notebook("print(1)"))
    deployed = fabctl(cwd, "deploy", SOURCE, "--env", "dev", "--fabric-url", emulator.url, env=env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    [workspace] = [w for w in snapshot(emulator)["workspaces"] if w["displayName"] == DEV_WORKSPACE]
    return str(workspace["id"])


def test_the_object_id_is_the_one_worked_out_by_hand() -> None:
    assert principal_object_id(PRINCIPAL.client_id) == OBJECT_ID


def test_the_identity_that_created_the_workspace_is_its_admin_and_a_viewer_fails(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator
) -> None:
    env = environment(**world.environment("client-secret"))
    workspace_id = _deployed(tmp_path, env, guarded)

    passing, checks = doctor(tmp_path, env, "--fabric-url", guarded.url)

    assert checks["roles"] == {
        "name": "roles", "status": "pass", "fix": "",
        "detail": f"{PRINCIPAL.client_id}: dev: '{DEV_WORKSPACE}' role Admin",
    }, passing.stdout  # fmt: skip
    set_role(guarded, workspace_id, OBJECT_ID, "Viewer", kind="ServicePrincipal")

    failing, checks = doctor(tmp_path, env, "--fabric-url", guarded.url)

    assert failing.returncode == 2, failing.stdout
    assert checks["roles"]["status"] == "fail"
    assert checks["roles"]["detail"] == f"{PRINCIPAL.client_id} is only a Viewer in dev: '{DEV_WORKSPACE}' role Viewer"
    assert checks["roles"]["fix"] == (
        f"give {PRINCIPAL.client_id} (object id {OBJECT_ID}) the Contributor role or higher in that workspace "
        "(workspace > Manage access, by one of its Admins)"
    )
    assert PRINCIPAL.secret not in passing.stdout + passing.stderr + failing.stdout + failing.stderr


def test_unsigned_against_an_emulator_the_role_check_says_why_it_is_skipped(
    tmp_path: Path, own_emulator: RunningEmulator
) -> None:
    _deployed(tmp_path, environment(), own_emulator)

    _, checks = doctor(tmp_path, environment(), "--fabric-url", own_emulator.url)

    assert (checks["roles"]["status"], checks["roles"]["detail"]) == (
        "skipped", "no signed-in identity (a loopback emulator and no FABCTL_AUTH): there is nobody's role to look up",
    )  # fmt: skip


def test_on_the_embedded_local_default_the_role_check_says_why_it_is_skipped(tmp_path: Path) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load", notebook("print(1)"))
    assert fabctl(tmp_path, "deploy", SOURCE, "--env", "dev").returncode == 0

    _, checks = doctor(tmp_path, environment())

    assert (checks["roles"]["status"], checks["roles"]["detail"]) == (
        "skipped", "the embedded local Fabric has no sign-in and no roles: every call is its one local user",
    )  # fmt: skip


def test_a_paused_capacity_fails_naming_it_and_the_fix(tmp_path: Path, own_emulator: RunningEmulator) -> None:
    _deployed(tmp_path, environment(), own_emulator)
    paused = set_capacity(own_emulator, displayName="Sales F64", state="Inactive")

    result, checks = doctor(tmp_path, environment(), "--fabric-url", own_emulator.url)

    assert result.returncode == 2, result.stdout
    assert paused["state"] == "Inactive"
    assert checks["capacity"] == {
        "name": "capacity", "status": "fail",
        "detail": "paused: dev: capacity 'Sales F64' (7d3e2b91-4f6a-4c58-9a0e-1b5c8d2f6e34) Inactive",
        "fix": "resume the capacity (Azure portal: the Fabric capacity > Resume), "
        "or assign the workspace an active one",
    }  # fmt: skip
    set_capacity(own_emulator, displayName="Sales F64", state="Active")
    resumed, checks = doctor(tmp_path, environment(), "--fabric-url", own_emulator.url)
    assert checks["capacity"]["status"] == "pass" and resumed.returncode == 0, resumed.stdout
