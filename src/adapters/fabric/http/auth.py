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
from azure.core.exceptions import AzureError, ClientAuthenticationError

from fabctl.adapters.fabric.http.errors import (
    FabricCredentialRequired,
    FabricCredentialUnavailable,
    FabricRequestNotSent,
)

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
        """A token valid for at least the refresh margin, fetched only when needed.

        Raises `FabricCredentialUnavailable` (one line saying how to sign in; azure-identity's
        report stays the cause) when the credential gives no token, and `FabricRequestNotSent`
        when the identity provider could not be reached.
        """
        with self._lock:
            if self._token is None or self._clock() >= self._token.expires_on - self._margin:
                try:
                    self._token = self._credential.get_token(self._scope)
                except ClientAuthenticationError as e:  # CredentialUnavailableError is one too
                    raise FabricCredentialUnavailable(
                        sign_in_advice(self._credential, e, self._scope), error_code="CredentialUnavailable"
                    ) from e
                except AzureError as e:  # e.g. ServiceRequestError: Entra ID unreachable; worth a retry
                    raise FabricRequestNotSent(
                        f"could not get a token for {self._scope}: {_first_line(e)}", error_code="TokenRequestFailed"
                    ) from e
            return self._token.token

    def invalidate(self, token: str) -> None:
        """Drop `token` if it is still the cached one (another worker may have refreshed already)."""
        with self._lock:
            if self._token is not None and self._token.token == token:
                self._token = None


SIGN_IN = (
    "sign in with `az login` (or `azd auth login`), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
    "AZURE_CLIENT_SECRET for a service principal (on Azure, a managed identity needs none of these)"
)


def sign_in_advice(credential: TokenCredential, error: ClientAuthenticationError, scope: str) -> str:
    """One line: what to do, and the failure if a credential actually tried to sign in.

    azure-identity's chain (DefaultAzureCredential) reports every credential it tried, most of
    them merely "unavailable", over a dozen lines; and it logs the same text as a warning. A
    chain that stopped before its last credential stopped at one that tried and failed: that
    one line is the reason worth showing.
    """
    from azure.identity import ChainedTokenCredential, CredentialUnavailableError

    refusal = ""
    if isinstance(credential, ChainedTokenCredential):
        attempts = [line.strip() for line in str(error.message).splitlines() if line.startswith("\t")]
        if attempts and len(attempts) < len(credential.credentials):
            refusal = attempts[-1]
    elif not isinstance(error, CredentialUnavailableError):
        refusal = _first_line(error)
    if refusal:
        return f"the Azure sign-in failed for {scope}: {refusal} (check that credential's settings, or {SIGN_IN})"
    return f"no Azure credential gives fabctl a token for {scope}: {SIGN_IN}"


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = str(getattr(error, "message", "") or error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


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
