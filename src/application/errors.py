"""Errors the application raises or understands, independent of any technology."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base for errors raised outside the domain model."""


class GatewayError(ApplicationError):
    """The Fabric service (real, emulated or local) refused or failed a call.

    Adapters raise subclasses carrying transport detail; the application only needs to know
    that a write did not happen (or may not have), and the service's own words.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str = "",
        request_id: str = "",
        method: str = "",
        url: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.request_id = request_id
        self.method = method
        self.url = url
        self.status = status

    def __str__(self) -> str:
        code = f"{self.error_code}: " if self.error_code else ""
        call = f" ({self.method} {self.url})" if self.method else ""
        request = f" [requestId {self.request_id}]" if self.request_id else ""
        return f"{code}{self.message}{call}{request}"


class AccessDenied(GatewayError):
    """Fabric would not let fabctl's identity in: no credential, none that gives a token, a token
    refused (401) or a permission missing (403).

    The user's to fix (sign in, set the credential's variables, grant the workspace role), not a
    failure of the service: outside a deployment the CLI reports it as a user error.
    """


class ItemNotFound(GatewayError):
    """The workspace or item does not exist (HTTP 404)."""


class ItemConflict(GatewayError):
    """The name is taken or not yet available (HTTP 409 / ItemDisplayNameAlreadyInUse)."""


class ConcurrencyConflict(ApplicationError):
    """Another unit of work changed what this one read (or created what it meant to create) before it
    committed: nothing of this commit was stored. Run the command again from a fresh read.

    `subject` names what conflicted (e.g. "promotion p-1").
    """

    def __init__(self, message: str, *, subject: str = "") -> None:
        super().__init__(message)
        self.subject = subject


class EventsNotPublished(ApplicationError):
    """The event bus refused or could not be reached: the first `published` messages handed over were
    accepted, the rest were not and stay pending. The message says why, without any secret."""

    def __init__(self, message: str, *, published: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.published = published


class DirectoryUnavailable(ApplicationError):
    """The directory (Microsoft Graph) could not say who belongs to a group: the identity lacks a permission
    (the message names it, e.g. GroupMember.Read.All), or the directory could not be reached. An approval
    that needs the answer is refused, never granted on a guess."""

    def __init__(self, message: str, *, permission: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permission = permission
