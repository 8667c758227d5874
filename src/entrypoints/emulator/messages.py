"""The emulator's own request and response values, and Fabric's error shape (`ApiError`).

Kept free of `http.server` so the routing and fault logic can be read (and reasoned about)
without the socket plumbing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fabctl.adapters.fabric.tenant_errors import TenantError

JSON_TYPE = "application/json; charset=utf-8"
# Fabric sends empty bodies with this type; clients (fabric-cicd) test the header on every response.
EMPTY_TYPE = "application/octet-stream"
BAD_REQUEST_MESSAGE = "The request could not be processed due to missing or invalid information"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names lower-cased: HTTP header names are case-insensitive
    body: bytes
    base_url: str  # scheme://host[:port] as the client addressed us, for absolute URLs
    arrived_at: float = 0.0  # monotonic time its first bytes reached the machine (arrival.py); 0 = unknown
    connection: int = 0  # which connection carried it (numbered from 1); 0 = unknown

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The parsed body; an empty body is `None`. Malformed JSON is the client's 400."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_request(f"The request body is not valid JSON: {e}") from e


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = EMPTY_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    # A 429 whose wait concerns one operation (an early poll), not every request of its principal: the
    # principal's other requests meanwhile are no early retries (`EmulatorApp.delivered`).
    operation_wait: bool = False


def json_response(
    status: int, data: Any, headers: Mapping[str, str] | None = None, *, content_type: str = JSON_TYPE
) -> Response:
    return Response(status, json.dumps(data).encode("utf-8"), content_type, dict(headers or {}))


def empty_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, b"", EMPTY_TYPE, dict(headers or {}))


class ApiError(Exception):
    """A refusal in Fabric's error shape; `headers` are extra response headers (e.g. Retry-After)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        related_resource: dict[str, str] | None = None,
        more_details: list[dict[str, Any]] | None = None,
        is_retriable: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.related_resource = related_resource
        self.more_details = more_details
        self.is_retriable = is_retriable
        self.headers = dict(headers or {})

    @classmethod
    def from_tenant(cls, error: TenantError, status: int | None = None) -> ApiError:
        return cls(
            error.status if status is None else status,
            error.error_code,
            error.message,
            related_resource=error.related_resource,
            is_retriable=True if error.is_retriable else None,
        )

    def body(self, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"requestId": request_id, "errorCode": self.error_code, "message": self.message}
        if self.related_resource is not None:
            body["relatedResource"] = self.related_resource
        if self.more_details is not None:
            body["moreDetails"] = self.more_details
        if self.is_retriable is not None:
            body["isRetriable"] = self.is_retriable
        return body

    def response(self, request_id: str) -> Response:
        headers = {**self.headers, "x-ms-public-api-error-code": self.error_code}
        return json_response(self.status, self.body(request_id), headers)


def bad_request(detail: str) -> ApiError:
    """The generic body-validation refusal, shaped like the recorded real one."""
    return ApiError(
        400,
        "BadRequest",
        BAD_REQUEST_MESSAGE,
        more_details=[{"errorCode": "RequestBodyValidationFailed", "message": detail}],
        is_retriable=False,
    )


def not_found_route(method: str, path: str) -> ApiError:
    return ApiError(404, "NotFound", f"The requested resource could not be found: {method} {path}")
