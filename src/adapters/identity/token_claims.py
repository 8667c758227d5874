"""Whose an access token is, read from its claims.

fabctl reads its own tokens: each came from the credential it chose, over TLS from the authority
that credential trusts, and the service that receives it checks its signature. So the claims are
read, not verified, here: what they give is the principal the service will see acting (Entra's
access token claims: `oid`, `tid`, `upn` or `preferred_username` for a user, `appid` or `azp` for
an application, `idtyp`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


class UnreadableToken(ValueError):
    """A token that is not a JWT with a JSON payload, or has no object id (`oid`)."""


@dataclass(frozen=True)
class TokenPrincipal:
    object_id: str
    tenant_id: str
    name: str  # a user's UPN, else an application's app id, else the object id
    is_application: bool

    @property
    def actor(self) -> str:
        """What is recorded as who acted: the name, which people and approvals compare."""
        return self.name


def principal_of_token(token: str) -> TokenPrincipal:
    """The principal an Entra ID access token names; raises `UnreadableToken`."""
    claims = _payload(token)
    object_id = _text(claims, "oid")
    if not object_id:
        raise UnreadableToken("the access token has no object id claim (oid)")
    user_name = _text(claims, "upn") or _text(claims, "preferred_username") or _text(claims, "unique_name")
    app_id = _text(claims, "appid") or _text(claims, "azp")
    is_application = _text(claims, "idtyp") == "app" or (not user_name and bool(app_id))
    name = (app_id if is_application else user_name) or object_id
    return TokenPrincipal(object_id, _text(claims, "tid"), name, is_application)


def _payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise UnreadableToken("the access token is not a JWT (three dot-separated parts)")
    encoded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(encoded))
    except (binascii.Error, ValueError):
        raise UnreadableToken("the access token's payload is not base64url-encoded JSON") from None
    if not isinstance(claims, dict):
        raise UnreadableToken("the access token's payload is not a JSON object")
    return claims


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""
