"""`fabctl doctor`'s Key Vault check through the real CLI, against the local HTTPS vault (the real
SecretClient, signed in with azure-identity): it passes when the identity may read secrets, and fails
naming the setting and the role when the vault refuses the identity."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli import COMMAND, _environment
from vault_world import VAULT_URL, VaultWorld, vault_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultWorld]:
    yield from vault_world(tmp_path_factory.mktemp("vault-world"))


def key_vault_check(cwd: Path, world: VaultWorld) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {**_environment(None), **world.environment()}
    result = subprocess.run(
        [*COMMAND, "doctor", "-o", "json"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    return result, checks["key vault"]


def test_a_vault_the_identity_may_read_passes(tmp_path: Path, world: VaultWorld) -> None:
    reads_before = world.vault.reads("fabctl-doctor-probe")

    _, check = key_vault_check(tmp_path, world)

    assert check["status"] == "pass", check
    assert VAULT_URL in check["detail"]
    assert world.vault.reads("fabctl-doctor-probe") == reads_before + 1  # it asked the vault


def test_a_vault_refusing_the_identity_fails_naming_the_setting_and_the_role(tmp_path: Path, world: VaultWorld) -> None:
    world.vault.readers = {"another-principal"}
    try:
        result, check = key_vault_check(tmp_path, world)
    finally:
        world.vault.readers = None

    assert result.returncode == 2
    assert check["status"] == "fail"
    assert "FABCTL_KEY_VAULT_URL" in check["detail"] and "403" in check["detail"]
    assert "Key Vault Secrets User" in check["fix"]
