"""A secret store backed by a dict, for local runs and tests."""

from __future__ import annotations

from collections.abc import Mapping


class InMemorySecretStore:
    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._secrets = dict(secrets or {})

    def get_secret(self, name: str) -> str:
        if name not in self._secrets:
            raise KeyError(f"secret '{name}' is not defined")
        return self._secrets[name]

    def set_secret(self, name: str, value: str) -> None:
        self._secrets[name] = value
