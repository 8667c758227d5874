"""The secret store contract run against every adapter (today the in-memory one; Key Vault joins it)."""

from __future__ import annotations

import pytest
from secret_store_contract import SecretStoreContract

from fabctl.adapters.secrets.memory import InMemorySecretStore


class InMemorySecrets:
    def __init__(self) -> None:
        self.store = InMemorySecretStore()

    def put(self, name: str, value: str) -> None:
        self.store.set_secret(name, value)


class TestInMemorySecretStore(SecretStoreContract):
    @pytest.fixture
    def secrets(self) -> InMemorySecrets:
        return InMemorySecrets()


def test_the_in_memory_store_starts_with_the_secrets_it_is_given() -> None:
    store = InMemorySecretStore({"db-password": "hunter2"})

    assert store.get_secret("db-password") == "hunter2"
    with pytest.raises(KeyError):
        store.get_secret("DB-PASSWORD")  # in memory, case tells names apart
