"""FABCTL_AUTH=azure-cli signed in for real: azure-identity's AzureCliCredential runs the `az` it finds on
PATH, here a stand-in (azure_cli_standin.py) that answers `az account get-access-token` with a user's
token signed by the local Entra-like authority; the emulator requires tokens from that authority. The
actor recorded is the token's person, verified; `fabctl doctor` names them. Signed out of the CLI, the
deploy ends in one line saying to run `az login`, exit 2."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure_cli_standin import AzureCliStandIn, azure_cli_standin
from deploy_process import environment, fabctl
from emulator_process import RunningEmulator, running_emulator
from entra_user import USER
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity
from sources import EMULATOR_ARGS, SOURCE, new_source, notebook, one_error_line, write_item

FABRIC = "https://api.fabric.microsoft.com"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def guarded(world: SignedInIdentity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    args = (*EMULATOR_ARGS, "--require-token-from", AUTHORITY_URL)
    with running_emulator(*args, tmp_path=tmp_path_factory.mktemp("emulator"), env=world.network()) as emulator:
        yield emulator


@pytest.fixture
def az(tmp_path: Path) -> AzureCliStandIn:
    return azure_cli_standin(tmp_path / "az-bin")


def _as_cli_user(
    cwd: Path, world: SignedInIdentity, az: AzureCliStandIn, *args: str
) -> subprocess.CompletedProcess[str]:
    env = environment(**world.environment("azure-cli"), PATH=az.path(), AZURE_TENANT_ID=PRINCIPAL.tenant)
    return fabctl(cwd, *args, env=env)


def test_a_deploy_signed_in_with_the_azure_cli_records_its_user_as_the_verified_actor(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator, az: AzureCliStandIn
) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load Sales", notebook("print('hello')"))
    az.sign_in(world.authority.issue_user(FABRIC), PRINCIPAL.tenant)

    deployed = _as_cli_user(
        tmp_path, world, az, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url, "-o", "json"
    )

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    journal = json.loads(
        _as_cli_user(
            tmp_path, world, az, "tx", "show", json.loads(deployed.stdout)["transaction_id"], "-o", "json"
        ).stdout
    )
    assert (journal["actor"], journal["actor_object_id"], journal["actor_verified"]) == (
        "dana@contoso.example", "3f1e2d4c-4444-4c4d-9e8f-00000000da7a", True,
    )  # fmt: skip
    # azure-identity asked the CLI for Fabric's resource, in the tenant it was given.
    assert [
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
        FABRIC,
        "--tenant",
        PRINCIPAL.tenant,
    ] in az.calls()


def test_the_doctor_names_the_azure_cli_user(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator, az: AzureCliStandIn
) -> None:
    new_source(tmp_path)
    az.sign_in(world.authority.issue_user(FABRIC), PRINCIPAL.tenant)

    result = _as_cli_user(tmp_path, world, az, "doctor", SOURCE, "--fabric-url", guarded.url, "-o", "json")

    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["credential"]["status"] == "pass", checks["credential"]
    assert checks["credential"]["detail"] == (
        f"user dana@contoso.example (object id 3f1e2d4c-4444-4c4d-9e8f-00000000da7a, tenant {PRINCIPAL.tenant})"
    )
    assert checks["fabric"]["status"] == "pass", checks["fabric"]  # the guarded emulator took the CLI's token


def test_signed_out_of_the_azure_cli_a_deploy_says_to_run_az_login(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator, az: AzureCliStandIn
) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load Sales", notebook("print('hello')"))
    az.sign_out()

    refused = _as_cli_user(tmp_path, world, az, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url)

    line = one_error_line(refused)
    assert "az login" in line, line
    assert az.calls(), "azure-identity never ran the stand-in az"
    assert USER.upn not in refused.stdout + refused.stderr
