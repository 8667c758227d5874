"""The `$cbs` node: claims-based security put-token, with the SAS signature really verified.

The SDK sends one put-token request per link it opens; the reply carries `status-code` (200 or 401)
and `status-description`, matched by `correlation_id == message_id`. A bad signature never opens
the entity link: the SDK then raises its authentication error.
"""

from __future__ import annotations

import hmac
import time
from base64 import b64encode
from dataclasses import dataclass
from hashlib import sha256
from urllib.parse import parse_qs, quote_plus

from proton import Message

SAS_PREFIX = "SharedAccessSignature "


@dataclass(frozen=True)
class SasPolicy:
    """The one shared access policy the broker accepts (name and key of the connection string)."""

    key_name: str
    key: str


def verify_sas(token: str, policy: SasPolicy, now_s: float | None = None) -> str | None:
    """None when the token is valid for this policy, else why not (never the key or signature)."""
    if not token.startswith(SAS_PREFIX):
        return "not a SharedAccessSignature token"
    fields = {k: v[0] for k, v in parse_qs(token[len(SAS_PREFIX) :], keep_blank_values=True).items()}
    missing = [name for name in ("sr", "sig", "se") if name not in fields]
    if missing:
        return f"token lacks {', '.join(missing)}"
    if fields.get("skn") != policy.key_name:
        return "unknown shared access key name"
    try:
        expiry = int(fields["se"])
    except ValueError:
        return "token expiry is not an integer"
    if expiry <= (time.time() if now_s is None else now_s):
        return "token expired"
    signed = f"{quote_plus(fields['sr'])}\n{expiry}".encode()
    expected = b64encode(hmac.new(policy.key.encode(), signed, sha256).digest()).decode()
    if not hmac.compare_digest(expected, fields["sig"]):
        return "signature does not match"
    return None


def put_token_reply(request: Message, policy: SasPolicy) -> Message:
    properties = request.properties or {}
    if properties.get("operation") != "put-token":
        return _reply(request, 400, "only put-token is supported on $cbs")
    problem = verify_sas(str(request.body), policy)
    if problem is not None:
        return _reply(request, 401, f"InvalidSignature: {problem}")
    return _reply(request, 200, "OK")


def _reply(request: Message, status: int, description: str) -> Message:
    return Message(
        correlation_id=request.id,
        properties={"status-code": status, "status-description": description},
    )
