"""Bearer tokens checked as Fabric checks them: signed by a configured authority, for Fabric's audience.

Off by default (the emulator then only tells callers apart by their tokens' `oid`). With an authority
(`--require-token-from https://login.microsoftonline.com/<tenant>`), the emulator reads its OpenID
configuration (`<authority>/v2.0/.well-known/openid-configuration`), takes the signing keys from its
`jwks_uri`, and answers 401 in Fabric's shape to a request whose token is missing, expired, not signed
by those keys, not issued by that authority or not for `https://api.fabric.microsoft.com`. The
authority is reached with the process's proxy and trust settings (HTTPS_PROXY, SSL_CERT_FILE), as any
client would reach Entra ID. Tokens are never logged.
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.request
from typing import Any

import jwt

from fabctl.entrypoints.emulator.messages import ApiError

FABRIC_AUDIENCES = ("https://api.fabric.microsoft.com", "https://api.fabric.microsoft.com/")
DISCOVERY = "/v2.0/.well-known/openid-configuration"
FETCH_TIMEOUT_S = 10


class TokenCheck:
    """Verifies the `Authorization` header of each API request against one authority."""

    def __init__(self, authority: str) -> None:
        self.authority = authority.rstrip("/")
        self._lock = threading.Lock()
        self._issuers: tuple[str, ...] = ()
        self._keys: jwt.PyJWKClient | None = None

    def refusal(self, authorization: str | None) -> ApiError | None:
        """None for a valid token; else the 401 Fabric would answer."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ApiError(401, "Unauthorized", "The request has no bearer token in its Authorization header")
        try:
            keys, issuers = self._authority_keys()
            key = keys.get_signing_key_from_jwt(token.strip())
            jwt.decode(
                token.strip(),
                key.key,
                algorithms=["RS256"],
                audience=list(FABRIC_AUDIENCES),
                issuer=list(issuers),
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            return ApiError(401, "TokenExpired", "Access token has expired")
        except (jwt.PyJWTError, ValueError) as e:
            # PyJWKClientError (no key with the token's kid) is a PyJWTError too: signed by someone else.
            return ApiError(401, "InvalidToken", f"Access token is not valid: {_reason(e)}")
        return None

    def _authority_keys(self) -> tuple[jwt.PyJWKClient, tuple[str, ...]]:
        with self._lock:
            if self._keys is None:
                configuration = _get_json(self.authority + DISCOVERY)
                tenant = self.authority.rsplit("/", 1)[-1]
                # Entra issues v1 tokens for Fabric: their issuer is sts.windows.net's, not the v2 one.
                self._issuers = (str(configuration["issuer"]), f"https://sts.windows.net/{tenant}/")
                self._keys = jwt.PyJWKClient(
                    str(configuration["jwks_uri"]), ssl_context=ssl.create_default_context(), timeout=FETCH_TIMEOUT_S
                )
            return self._keys, self._issuers


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S, context=ssl.create_default_context()) as answer:
        document = json.loads(answer.read())
    if not isinstance(document, dict) or "jwks_uri" not in document or "issuer" not in document:
        raise ValueError(f"{url} is not an OpenID configuration (no issuer or jwks_uri)")
    return document


def _reason(error: Exception) -> str:
    # The token itself never goes into the message; PyJWT's reasons name the claim, not its value.
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
