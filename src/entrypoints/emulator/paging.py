"""Fabric's pagination: `continuationToken` + absolute `continuationUri`, both absent on the last page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fabctl.entrypoints.emulator.messages import ApiError, Response, json_response
from fabctl.entrypoints.emulator.router import Call

TOKEN_PARAMETER = "continuationToken"


def _token(offset: int) -> str:
    # Opaque to clients, but with base64 padding ('='), so a client that forgets to URL-encode
    # the token it sends back is caught, as it would be by the real service's tokens.
    return base64.b64encode(f"offset:{offset:04d}".encode()).decode("ascii")


def _offset(token: str) -> int:
    try:
        prefix, _, number = base64.b64decode(token, validate=True).decode("ascii").partition(":")
        if prefix == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise ApiError(400, "InvalidParameter", f"The continuation token '{token}' is not valid")


def paged(call: Call, values: Sequence[dict[str, Any]]) -> Response:
    """One page of `values` (all of them when `--page-size` is 0), as `{"value": [...], ...}`."""
    query = call.request.query
    start = _offset(query[TOKEN_PARAMETER]) if TOKEN_PARAMETER in query else 0
    size = call.options.page_size or max(len(values), 1)
    body: dict[str, Any] = {"value": list(values[start : start + size])}
    if start + size < len(values):
        token = _token(start + size)
        others = {k: v for k, v in query.items() if k != TOKEN_PARAMETER}
        body[TOKEN_PARAMETER] = token
        body["continuationUri"] = (
            f"{call.request.base_url}{call.request.path}?{urlencode({**others, TOKEN_PARAMETER: token})}"
        )
    return json_response(200, body)
