"""How a call to the Fabric REST API can fail, told apart the way azure-core does.

- `FabricRequestNotSent`: the request never reached the service (no connection, connect timeout,
  circuit open). Repeating it is always safe.
- `FabricResponseUnreadable`: the request was, or may have been, sent, but no usable answer came
  back (connection dropped, read timeout, a body that is not what the API promises). The service
  may have acted on it, so a create must look before it repeats.
- `FabricHttpError`: the service answered with an error status; it carries Fabric's errorCode,
  message and requestId. Subclasses name the answers callers branch on.

Every error also carries the method and URL of the call, and is a `GatewayError`, so the
application handles it without knowing about HTTP.
"""

from __future__ import annotations

from typing import Any

from fabctl.application.errors import AccessDenied, GatewayError, ItemConflict, ItemNotFound


class FabricCredentialRequired(AccessDenied):
    """A non-loopback Fabric URL was given without a credential to authenticate with."""


class FabricCredentialUnavailable(AccessDenied):
    """The credential gave no token: nobody signed in, or Microsoft Entra ID refused the sign-in."""


class FabricRequestNotSent(GatewayError):
    """The request did not reach the service: it cannot have had any effect."""


class FabricCircuitOpen(FabricRequestNotSent):
    """Recent calls failed in a row; calls fail fast until the cool-down lets a probe through."""


class FabricResponseUnreadable(GatewayError):
    """The request was (or may have been) sent, but no usable response came back."""


class FabricOperationTimeout(GatewayError):
    """A long-running operation was still not finished when its deadline passed."""

    def __init__(self, message: str, *, operation_id: str, last_status: str, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.operation_id = operation_id
        self.last_status = last_status


class FabricHttpError(GatewayError):
    """The service answered with an error. `more_details` and `is_retriable` come from the body."""

    def __init__(
        self,
        message: str,
        *,
        more_details: list[dict[str, Any]] | None = None,
        is_retriable: bool = False,
        retry_after_s: float | None = None,
        **detail: Any,
    ) -> None:
        super().__init__(message, **detail)
        self.more_details = more_details or []
        self.is_retriable = is_retriable
        self.retry_after_s = retry_after_s

    def __str__(self) -> str:
        status = f"HTTP {self.status} " if self.status is not None else ""
        return f"{status}{super().__str__()}"


class FabricNotFound(FabricHttpError, ItemNotFound):
    """404: the workspace, item, folder or operation does not exist."""


class FabricConflict(FabricHttpError, ItemConflict):
    """409 (or a name conflict code): the display name is taken or not available yet."""


class FabricBadRequest(FabricHttpError):
    """400: the service refused the request as invalid; repeating it will not help."""


class FabricUnauthorized(FabricHttpError, AccessDenied):
    """401: no valid token (errorCode `TokenExpired` is refreshed once before this is raised)."""


class FabricForbidden(FabricHttpError, AccessDenied):
    """403: the identity lacks the role, scope or feature for this call."""


class FabricThrottled(FabricHttpError):
    """429: the service asked to wait longer than the configured throttling budget allows."""


class FabricServerError(FabricHttpError):
    """5xx or 408 that was still failing after the configured retries."""


class FabricOperationFailed(FabricHttpError):
    """A long-running operation ended `Failed`; error_code/message are the operation's own."""

    def __init__(self, message: str, *, operation_id: str, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.operation_id = operation_id


# Error codes that mean "the name is in use" even when an older service answers 400.
NAME_CONFLICT_CODES = frozenset(
    {
        "ItemDisplayNameAlreadyInUse",
        "ItemDisplayNameNotAvailableYet",
        "WorkspaceNameAlreadyExists",
        "FolderDisplayNameAlreadyInUse",
        "PrincipalAlreadyHasWorkspaceRolePermissions",
    }
)

_BY_STATUS: dict[int, type[FabricHttpError]] = {
    400: FabricBadRequest,
    401: FabricUnauthorized,
    403: FabricForbidden,
    404: FabricNotFound,
    409: FabricConflict,
    429: FabricThrottled,
}


def http_error_class(status: int, error_code: str) -> type[FabricHttpError]:
    """The taxonomy class for an error answer."""
    if error_code in NAME_CONFLICT_CODES:
        return FabricConflict
    if status == 408 or status >= 500:
        return FabricServerError
    return _BY_STATUS.get(status, FabricHttpError)
