"""Reading Fabric's answers: JSON bodies, error bodies, `Retry-After`, and transport failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from fabctl.adapters.fabric.http.errors import (
    FabricHttpError,
    FabricRequestNotSent,
    FabricResponseUnreadable,
    http_error_class,
)

# Failures that happen before any byte of the request can have reached the service.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)


def request_id_of(response: httpx.Response) -> str:
    return str(response.headers.get("RequestId", "") or response.headers.get("x-ms-request-id", ""))


def retry_after_s(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), or None when absent or garbled."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def read_json(response: httpx.Response) -> Any:
    """The JSON body of a successful answer; `null` or no body at all is None."""
    if not response.content.strip():
        return None
    try:
        return json.loads(response.content)
    except ValueError as e:
        raise unreadable(response, f"the response body is not JSON: {e}") from e


def read_object(response: httpx.Response, *required: str) -> dict[str, Any]:
    """A JSON object body holding at least `required` keys, else `FabricResponseUnreadable`."""
    body = read_json(response)
    if not isinstance(body, dict):
        raise unreadable(response, f"expected a JSON object, got {type(body).__name__}")
    missing = [key for key in required if key not in body]
    if missing:
        raise unreadable(response, f"the response lacks {', '.join(missing)}")
    return body


def unreadable(response: httpx.Response, reason: str) -> FabricResponseUnreadable:
    request = response.request
    return FabricResponseUnreadable(
        reason,
        error_code="UnreadableResponse",
        request_id=request_id_of(response),
        method=request.method,
        url=str(request.url),
        status=response.status_code,
    )


def http_error(response: httpx.Response) -> FabricHttpError:
    """The taxonomy error for an error status, with Fabric's errorCode, message and requestId.

    The body may be empty (some real 401s), not JSON, or lack fields; the
    `x-ms-public-api-error-code` header stands in for a missing errorCode.
    """
    try:
        body = json.loads(response.content) if response.content.strip() else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if isinstance(body.get("error"), dict):  # Power BI's REST API: {"error": {"code": ..., "message": ...}}
        body = {**body["error"], "errorCode": body["error"].get("code")}
    code = str(body.get("errorCode") or response.headers.get("x-ms-public-api-error-code", ""))
    message = str(body.get("message") or response.reason_phrase or f"HTTP {response.status_code}")
    details = body.get("moreDetails")
    request = response.request
    error_class = http_error_class(response.status_code, code)
    return error_class(
        message,
        error_code=code,
        request_id=str(body.get("requestId") or request_id_of(response)),
        method=request.method,
        url=str(request.url),
        status=response.status_code,
        more_details=[d for d in details if isinstance(d, dict)] if isinstance(details, list) else [],
        is_retriable=body.get("isRetriable") is True,
        retry_after_s=retry_after_s(response),
    )


def transport_error(
    error: httpx.TransportError, method: str, url: str
) -> FabricRequestNotSent | FabricResponseUnreadable:
    """Not sent (safe to repeat) vs sent-but-no-answer (the service may have acted)."""
    kind = type(error).__name__
    if isinstance(error, _NOT_SENT):
        return FabricRequestNotSent(f"request not sent: {error or kind}", error_code=kind, method=method, url=url)
    return FabricResponseUnreadable(
        f"request sent but no response was received: {error or kind}", error_code=kind, method=method, url=url
    )
