"""Bearer tokens for the Fabric API from any azure-core `TokenCredential`.

A token is fetched once and shared by every worker of a gateway, refreshed a margin before it
expires, and dropped when the service answers 401 `TokenExpired` (clock skew, revocation), so
the next request fetches a fresh one.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential

from fabctl.adapters.fabric.http.errors import FabricCredentialRequired, FabricUnauthorized

FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"


class TokenProvider:
    """Caches one access token for `scope`; thread-safe."""

    def __init__(
        self,
        credential: TokenCredential,
        *,
        scope: str = FABRIC_SCOPE,
        refresh_margin_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._scope = scope
        self._margin = refresh_margin_s
        self._clock = clock  # wall clock: `expires_on` is a Unix timestamp
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def token(self) -> str:
        """A token valid for at least the refresh margin, fetched only when needed."""
        with self._lock:
            if self._token is None or self._clock() >= self._token.expires_on - self._margin:
                try:
                    self._token = self._credential.get_token(self._scope)
                except Exception as e:  # azure-identity raises its own hierarchy; keep it as the cause
                    raise FabricUnauthorized(
                        f"could not get a token for {self._scope}: {e}", error_code="CredentialUnavailable"
                    ) from e
            return self._token.token

    def invalidate(self, token: str) -> None:
        """Drop `token` if it is still the cached one (another worker may have refreshed already)."""
        with self._lock:
            if self._token is not None and self._token.token == token:
                self._token = None


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_provider_for(url: str, credential: object | None, *, refresh_margin_s: float = 60.0) -> TokenProvider | None:
    """The provider for `credential`, or None for a credential-less loopback URL (an emulator).

    Refuses to talk to any other host without a credential: that could only end in 401s, or
    worse, in requests to a real tenant that silently carry no identity.
    """
    if credential is None:
        if is_loopback(url):
            return None
        raise FabricCredentialRequired(
            f"Fabric URL {url} is not a loopback address, so it needs a credential: pass an azure-core "
            "TokenCredential (e.g. azure.identity.DefaultAzureCredential()); only 127.0.0.1/localhost "
            "emulators are called without one",
            error_code="CredentialRequired",
        )
    if not isinstance(credential, TokenCredential):
        raise TypeError(f"credential must implement azure-core TokenCredential.get_token, got {type(credential)!r}")
    return TokenProvider(credential, refresh_margin_s=refresh_margin_s)
