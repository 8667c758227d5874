"""`fabctl doctor` signed in as a service principal (azure-identity for real, against the Entra-like
authority and Azurite over HTTPS: `signed_in_storage`): the credential check names the principal from its
token, and a Fabric the network does not reach fails on its own, the signed-in state store still passing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from azurite_process import fresh_name
from deploy_process import environment, fabctl
from signed_in_storage import PRINCIPAL, SUFFIX, SignedInStorage, signed_in  # noqa: F401 (a fixture)
from sources import SOURCE, new_source

FABRIC_URL = f"https://api.fabric.{SUFFIX}/v1"  # the test's proxy routes no such host: Fabric is unreachable


def doctor(cwd: Path, world: SignedInStorage, **extra: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    names = {"FABCTL_STATE_TABLE": fresh_name("doc"), "FABCTL_STATE_CONTAINER": fresh_name("doc")}
    env = environment(**{**world.environment(), **names, "FABCTL_FABRIC_URL": FABRIC_URL, **extra})
    result = fabctl(cwd, "doctor", SOURCE, "-o", "json", env=env)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.returncode, {c["name"]: c for c in json.loads(result.stdout)["checks"]}, result.stdout + result.stderr


def test_the_credential_check_names_the_principal_of_its_token(
    tmp_path: Path,
    signed_in: SignedInStorage,  # noqa: F811
) -> None:
    new_source(tmp_path)

    code, checks, output = doctor(tmp_path, signed_in)

    credential = checks["credential"]
    assert credential["status"] == "pass", credential
    object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, PRINCIPAL.client_id))  # what the authority puts in `oid`
    assert (
        f"application {PRINCIPAL.client_id} (object id {object_id}, tenant {PRINCIPAL.tenant})" in credential["detail"]
    )
    assert checks["state store"]["status"] == "pass" and "Azure storage" in checks["state store"]["detail"]
    assert checks["fabric"]["status"] == "fail" and code == 2
    assert PRINCIPAL.secret not in output


def test_a_wrong_secret_fails_the_credential_check_without_showing_it(
    tmp_path: Path,
    signed_in: SignedInStorage,  # noqa: F811
) -> None:
    new_source(tmp_path)
    wrong = "wrong-secret-for-the-doctor-77"

    code, checks, output = doctor(tmp_path, signed_in, AZURE_CLIENT_SECRET=wrong)

    assert code == 2 and checks["credential"]["status"] == "fail" and checks["credential"]["fix"]
    assert wrong not in output and PRINCIPAL.secret not in output
