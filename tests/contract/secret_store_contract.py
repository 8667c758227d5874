"""The secret store contract: every `SecretStore` must pass these tests.

Subclasses supply the `secrets` fixture: a `StoredSecrets` whose `store` is the adapter under test and
whose `put` sets a secret where the store reads it (for Key Vault, a new version of the secret).
Names keep to Key Vault's rule (letters, digits, dashes) and to one spelling each: whether case tells two
names apart is the store's own.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from fabctl.application.ports import SecretStore


class StoredSecrets(Protocol):
    store: SecretStore

    def put(self, name: str, value: str) -> None: ...


VALUES = {
    "db-password": "p@ss w0rd;with=odd&chars",
    "Service-Principal-2": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    "unicode-secret": "naïve \u2013 ключ 鍵 ✓",
    "long-secret": "x" * 20_000,
    "a": " leading and trailing spaces ",
}


class SecretStoreContract:
    def test_a_secret_is_read_back_exactly_as_stored(self, secrets: StoredSecrets) -> None:
        for name, value in VALUES.items():
            secrets.put(name, value)

        read = {name: secrets.store.get_secret(name) for name in VALUES}

        assert read == VALUES

    def test_a_secret_set_again_answers_with_its_latest_value(self, secrets: StoredSecrets) -> None:
        secrets.put("rotated", "first")
        assert secrets.store.get_secret("rotated") == "first"

        secrets.put("rotated", "second")

        assert secrets.store.get_secret("rotated") == "second"

    def test_a_missing_secret_is_a_key_error_naming_it_and_no_value(self, secrets: StoredSecrets) -> None:
        for name, value in VALUES.items():
            secrets.put(name, value)

        with pytest.raises(KeyError) as caught:
            secrets.store.get_secret("no-such-secret")

        assert "no-such-secret" in str(caught.value)
        assert not any(value.strip() in str(caught.value) for value in VALUES.values())

    def test_one_secret_missing_leaves_the_others_readable(self, secrets: StoredSecrets) -> None:
        secrets.put("db-password", VALUES["db-password"])

        with pytest.raises(KeyError):
            secrets.store.get_secret("db-password-2")

        assert secrets.store.get_secret("db-password") == VALUES["db-password"]
