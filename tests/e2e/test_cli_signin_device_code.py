"""FABCTL_AUTH=device-code signed in for real: azure-identity's DeviceCodeCredential against the local
Entra-like authority, which completes the flow by itself after the first poll (entra_user.py), as if the
person had typed the code at the verification URL. The prompt (URL and code) goes to stderr, stdout keeps
the JSON; stdin is closed, as in CI. The actor recorded is the person, verified."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_process import COMMAND, environment
from emulator_process import RunningEmulator, running_emulator
from entra_user import VERIFICATION_URL
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity
from sources import EMULATOR_ARGS, SOURCE, new_source, notebook, write_item


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def guarded(world: SignedInIdentity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    args = (*EMULATOR_ARGS, "--require-token-from", AUTHORITY_URL)
    with running_emulator(*args, tmp_path=tmp_path_factory.mktemp("emulator"), env=world.network()) as emulator:
        yield emulator


def test_a_deploy_signed_in_by_device_code_prompts_on_stderr_and_records_the_person(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator
) -> None:
    write_item(new_source(tmp_path), "Notebook", "Load Sales", notebook("print('hello')"))
    env = environment(**world.environment("device-code"), AZURE_TENANT_ID=PRINCIPAL.tenant)

    deployed = subprocess.run(
        [*COMMAND, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url, "-o", "json"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180,
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    [code] = world.authority.device_flows.prompts
    prompt = [line for line in deployed.stderr.splitlines() if code in line]
    assert len(prompt) == 1 and f"open {VERIFICATION_URL} in a browser and enter the code {code}" in prompt[0]
    assert code not in deployed.stdout  # stdout is the JSON result alone
    report = json.loads(deployed.stdout)
    shown = subprocess.run(
        [*COMMAND, "tx", "show", report["transaction_id"], "-o", "json"],
        cwd=tmp_path, env=environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    journal = json.loads(shown.stdout)
    assert (journal["actor"], journal["actor_object_id"], journal["actor_verified"]) == (
        "dana@contoso.example", "3f1e2d4c-4444-4c4d-9e8f-00000000da7a", True,
    )  # fmt: skip
    polls = [r.outcome for r in world.authority.requests() if r.grant_type.endswith("device_code")]
    assert polls == ["authorization_pending", "issued"]
