"""What only the Key Vault store does: its TTL cache, its answers to a missing, disabled or refused secret,
and a vault that cannot be reached. The real SecretClient against the local HTTPS vault."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from test_secret_stores_real import LocalVault, local_vault

from fabctl.domain.errors import InvalidConfiguration

__all__ = ["local_vault"]  # the module's fixture, shared


class FakeClock:
    """Monotonic seconds the test moves by hand: the cache's expiry is decided without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vault(local_vault: LocalVault) -> Iterator[LocalVault]:
    local_vault.vault.readers = None
    yield local_vault
    local_vault.vault.readers = None


def test_a_secret_is_read_once_per_ttl_and_again_after_it(vault: LocalVault) -> None:
    clock = FakeClock()
    store = vault.store(cache_seconds=300, monotonic=clock)
    vault.vault.put("ttl-secret", "first-value")
    before = vault.vault.reads("ttl-secret")

    assert [store.get_secret("ttl-secret") for _ in range(5)] == ["first-value"] * 5
    assert vault.vault.reads("ttl-secret") - before == 1

    vault.vault.put("ttl-secret", "second-value")  # rotated: the cached value holds until the TTL ends
    clock.now += 299
    assert store.get_secret("ttl-secret") == "first-value"
    clock.now += 2
    assert store.get_secret("ttl-secret") == "second-value"
    assert vault.vault.reads("ttl-secret") - before == 2


def test_an_underscore_in_a_name_reads_the_dashed_vault_name(vault: LocalVault) -> None:
    vault.vault.put("DB-PASSWORD", "dashed-value")

    assert vault.store().get_secret("DB_PASSWORD") == "dashed-value"


def test_a_missing_secret_names_it_the_vault_and_the_error_code(vault: LocalVault) -> None:
    with pytest.raises(KeyError) as caught:
        vault.store().get_secret("DB_MISSING")

    assert (
        caught.value.args[0]
        == f"secret DB_MISSING (read as DB-MISSING): not in Key Vault {vault.vault.url} (SecretNotFound)"
    )


def test_a_disabled_secret_is_missing_not_a_permission_problem(vault: LocalVault) -> None:
    vault.vault.put("disabled-secret", "never-read", enabled=False)

    with pytest.raises(KeyError) as caught:
        vault.store().get_secret("disabled-secret")

    assert "disabled" in caught.value.args[0]
    assert "never-read" not in caught.value.args[0]


def test_a_vault_that_refuses_the_identity_names_the_setting_and_the_role(vault: LocalVault) -> None:
    vault.vault.put("guarded", "guarded-value")
    vault.vault.readers = {"someone-else"}

    with pytest.raises(InvalidConfiguration) as caught:
        vault.store().get_secret("guarded")

    message = caught.value.message
    assert "FABCTL_KEY_VAULT_URL" in message and "'Key Vault Secrets User' role" in message
    assert "403 Forbidden" in message and "secrets 'get' permission" in message
    assert caught.value.field == "key_vault_url"
    assert "guarded-value" not in str(caught.value)


def test_an_unreachable_vault_names_the_setting(vault: LocalVault) -> None:
    with socket.socket() as probe:  # a port nothing listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        store = vault.store(url=f"https://127.0.0.1:{port}", retry_total=0)
        with pytest.raises(InvalidConfiguration) as caught:
            store.get_secret("anything")

    assert "cannot be reached" in caught.value.message and "FABCTL_KEY_VAULT_URL" in caught.value.message


def test_the_local_vault_keeps_versions_as_key_vault_does(vault: LocalVault) -> None:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.keyvault.secrets import SecretClient

    first = vault.vault.put("versioned", "one")
    vault.vault.put("versioned", "two")
    client = SecretClient(
        vault.vault.url, vault.credential(), verify_challenge_resource=False, connection_verify=str(vault.ca_file)
    )
    try:
        assert client.get_secret("versioned").value == "two"
        older = client.get_secret("VERSIONED", first)  # names ignore case
        assert older.value == "one" and older.properties.version == first
        with pytest.raises(ResourceNotFoundError) as caught:
            client.get_secret("versioned", "0" * 32)
        assert caught.value.error is not None and caught.value.error.code == "SecretNotFound"
    finally:
        client.close()
