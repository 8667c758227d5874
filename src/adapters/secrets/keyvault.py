"""`KeyVaultSecretStore`: secrets read from Azure Key Vault with the real `SecretClient`, cached for a TTL.

One client per store and one store per process (the composition root builds it once), so a deployment that
binds the same secret into a hundred items asks the vault once per TTL. Names are Key Vault's: letters,
digits and dashes; an underscore in a `$secret:` name is read as a dash (`DB_PASSWORD` is `DB-PASSWORD`), so
one marker works with both the vault and the environment fallback.

Failures say which source was asked and what to do: a secret the vault does not have is a `KeyError`
("not in Key Vault URL (SecretNotFound)"), as the port says; a vault that refuses fabctl's identity (403)
or cannot be reached is an `InvalidConfiguration` naming FABCTL_KEY_VAULT_URL and the permission needed.
No message ever holds a value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.keyvault.secrets import SecretClient

from fabctl.domain.errors import InvalidConfiguration

SETTING = "FABCTL_KEY_VAULT_URL"
PERMISSION = "the 'Key Vault Secrets User' role on the vault (or, with access policies, the secrets 'get' permission)"


def vault_name(name: str) -> str:
    """The Key Vault name a `$secret:` name stands for."""
    return name.replace("_", "-")


class KeyVaultSecretStore:
    def __init__(
        self,
        vault_url: str,
        credential: Any,
        *,
        cache_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
        **client_options: Any,
    ) -> None:
        self.vault_url = vault_url.rstrip("/")
        self._client = SecretClient(vault_url, credential, **client_options)
        self._ttl = cache_seconds
        self._now = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, float]] = {}  # vault name -> (value, when it expires)

    def get_secret(self, name: str) -> str:
        key = vault_name(name)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and self._now() < cached[1]:
                return cached[0]
        value = self._read(name, key)
        if self._ttl > 0:
            with self._lock:
                self._cache[key] = (value, self._now() + self._ttl)
        return value

    def close(self) -> None:
        self._client.close()

    def _read(self, name: str, key: str) -> str:
        shown = name if key == name else f"{name} (read as {key})"
        try:
            secret = self._client.get_secret(key)
        except ResourceNotFoundError as e:
            code = getattr(e.error, "code", None) or "SecretNotFound"
            raise KeyError(f"secret {shown}: not in Key Vault {self.vault_url} ({code})") from None
        except ClientAuthenticationError as e:
            raise self._refused(shown, f"fabctl's identity could not sign in: {_first_line(e)}") from None
        except ServiceRequestError as e:
            raise InvalidConfiguration(
                f"secret {shown}: Key Vault {self.vault_url} cannot be reached ({_first_line(e)}); "
                f"check {SETTING} and the network",
                subject="fabctl settings",
                field="key_vault_url",
            ) from None
        except HttpResponseError as e:
            if _inner_code(e) == "SecretDisabled":
                raise KeyError(
                    f"secret {shown}: its current version in Key Vault {self.vault_url} is disabled"
                ) from None
            if e.status_code in (401, 403):
                code = getattr(e.error, "code", None) or ("Forbidden" if e.status_code == 403 else "Unauthorized")
                raise self._refused(shown, f"{e.status_code} {code}") from None
            raise InvalidConfiguration(
                f"secret {shown}: Key Vault {self.vault_url} answered {e.status_code} ({_first_line(e)}); "
                f"check {SETTING}",
                subject="fabctl settings",
                field="key_vault_url",
            ) from None
        if secret.value is None:
            raise KeyError(f"secret {shown}: Key Vault {self.vault_url} answered without a value")
        return secret.value

    def _refused(self, shown: str, why: str) -> InvalidConfiguration:
        return InvalidConfiguration(
            f"secret {shown}: Key Vault {self.vault_url} ({SETTING}) refused to read it ({why}); "
            f"give fabctl's identity {PERMISSION}",
            subject="fabctl settings",
            field="key_vault_url",
        )


def _inner_code(error: HttpResponseError) -> str:
    inner = getattr(error.error, "innererror", None)
    return str(inner.get("code", "")) if isinstance(inner, dict) else ""


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
