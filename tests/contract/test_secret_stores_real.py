"""The secret store contract against the real adapters: Key Vault (the real SecretClient against the local
HTTPS vault, signed in through the local Entra-like authority) and the environment / .env fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.identity import ClientSecretCredential
from certificates import TestAuthority
from entra_authority import EntraAuthority, ServicePrincipal, running_authority
from key_vault import KeyVaultServer, running_key_vault
from secret_store_contract import SecretStoreContract

from fabctl.adapters.secrets.environment import EnvironmentSecretStore
from fabctl.adapters.secrets.keyvault import KeyVaultSecretStore

PRINCIPAL = ServicePrincipal(
    tenant="6a1e3c2b-7d44-4f0e-9b1a-5e2d8c0f4a71",
    client_id="0b7c5d1e-2f3a-4b6c-8d9e-a1b2c3d4e5f6",
    secret="throwaway-vault-test-secret-71c2",  # test-only
)


class LocalVault:
    def __init__(self, vault: KeyVaultServer, authority: EntraAuthority, ca_file: Path) -> None:
        self.vault = vault
        self.authority = authority
        self.ca_file = ca_file

    def credential(self) -> ClientSecretCredential:
        return ClientSecretCredential(
            PRINCIPAL.tenant,
            PRINCIPAL.client_id,
            PRINCIPAL.secret,
            authority=f"https://127.0.0.1:{self.authority.port}",
            disable_instance_discovery=True,
            connection_verify=str(self.ca_file),
        )

    def store(self, *, url: str = "", cache_seconds: float = 0.0, **options: object) -> KeyVaultSecretStore:
        # A loopback vault never matches the challenge's resource domain (vault.azure.net).
        return KeyVaultSecretStore(
            url or self.vault.url,
            self.credential(),
            cache_seconds=cache_seconds,
            verify_challenge_resource=False,
            connection_verify=str(self.ca_file),
            **options,
        )


@pytest.fixture(scope="module")
def local_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalVault]:
    ca = TestAuthority(tmp_path_factory.mktemp("vault-ca"))
    with running_authority(ca.server_certificate("login", "127.0.0.1"), PRINCIPAL) as authority:
        vault = ca.server_certificate("vault", "127.0.0.1")
        with running_key_vault(vault, authority) as server:
            yield LocalVault(server, authority, ca.ca_file)


class KeyVaultSecrets:
    def __init__(self, local: LocalVault) -> None:
        self.vault = local.vault
        self.store = local.store()

    def put(self, name: str, value: str) -> None:
        self.vault.put(name, value)


class TestKeyVaultSecretStore(SecretStoreContract):
    @pytest.fixture
    def secrets(self, local_vault: LocalVault) -> Iterator[KeyVaultSecrets]:
        local_vault.vault.readers = None
        stored = KeyVaultSecrets(local_vault)
        yield stored
        stored.store.close()


class EnvironmentSecrets:
    def __init__(self, env_file: Path) -> None:
        self.environ: dict[str, str] = {}
        self.store = EnvironmentSecretStore(env_file, self.environ)

    def put(self, name: str, value: str) -> None:
        self.environ[name.replace("-", "_")] = value


class TestEnvironmentSecretStore(SecretStoreContract):
    @pytest.fixture
    def secrets(self, tmp_path: Path) -> EnvironmentSecrets:
        return EnvironmentSecrets(tmp_path / ".env")
