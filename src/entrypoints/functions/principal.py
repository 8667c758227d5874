"""Who calls the HTTP API: App Service Authentication's `X-MS-CLIENT-PRINCIPAL` header, and nothing else.

App Service Authentication (Easy Auth), in front of the Function app, validates the caller's Entra ID
token and passes its claims on as base64-encoded JSON in this header, removing any such header the
client sent. That makes the header trustworthy only with authentication turned on for the app (and
"require authentication" set): docs/azure.md says so. The acting identity is the user principal name
(what people type as `--user` in the CLI, so approvals by CLI and by HTTP compare), else, for an
application without one (a pipeline's service principal), its object id.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from fabctl.domain.identity import Identity, InvalidIdentity

HEADER = "X-MS-CLIENT-PRINCIPAL"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
OBJECT_ID_SHORT = "oid"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
PREFERRED_USERNAME = "preferred_username"
_LONGEST_HEADER = 16 * 1024


class Unauthenticated(Exception):
    """No principal, or one that cannot be read: the caller is not known (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    object_id: str
    actor: str  # the normalised identity (Identity's text) recorded as requester, approver, ...


def principal_of(headers: Mapping[str, str]) -> Principal:
    encoded = next((v for k, v in headers.items() if k.lower() == HEADER.lower()), None)
    if not encoded or not encoded.strip():
        raise Unauthenticated(f"no {HEADER} header: sign in through the app's authentication")
    if len(encoded) > _LONGEST_HEADER:
        raise Unauthenticated(f"the {HEADER} header is longer than {_LONGEST_HEADER} characters")
    try:
        document = json.loads(base64.b64decode(encoded.strip(), validate=True))
    except (binascii.Error, ValueError):
        raise Unauthenticated(f"the {HEADER} header is not base64-encoded JSON") from None
    claims = _claims(document)
    object_id = claims.get(OBJECT_ID) or claims.get(OBJECT_ID_SHORT)
    if not object_id:
        raise Unauthenticated(f"the {HEADER} header has no object id claim ({OBJECT_ID})")
    name_type = document.get("name_typ") if isinstance(document.get("name_typ"), str) else ""
    name = claims.get(UPN) or claims.get(PREFERRED_USERNAME) or (claims.get(name_type) if name_type else "") or ""
    try:
        actor = Identity.parse(name or object_id, source=f"{HEADER} claim {'name' if name else 'object id'}")
    except InvalidIdentity as e:
        raise Unauthenticated(str(e)) from None
    return Principal(object_id=object_id, actor=str(actor))


def _claims(document: object) -> dict[str, str]:
    """The claims as type -> first value; refused unless shaped as App Service sends them."""
    claims = document.get("claims") if isinstance(document, dict) else None
    if not isinstance(claims, list):
        raise Unauthenticated(f"the {HEADER} header has no 'claims' list")
    found: dict[str, str] = {}
    for claim in claims:
        if not (isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str)):
            raise Unauthenticated(f"the {HEADER} header has a claim that is not {{'typ': ..., 'val': ...}}")
        found.setdefault(claim["typ"], claim["val"])
    return found
