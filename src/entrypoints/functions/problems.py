"""Errors as `application/problem+json` (RFC 9457): type, title, status, detail, and the field at fault.

What the caller can fix gets its own status and the domain's own words; anything unexpected is a
500 whose detail says only that (its traceback goes to the log, never to the caller).
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from fabctl.application.errors import AccessDenied, ConcurrencyConflict, GatewayError
from fabctl.domain.errors import DomainError, IllegalTransition, NotFound, PromotionRuleViolation
from fabctl.domain.transaction import UnfinishedTransaction, WorkspaceBusy
from fabctl.entrypoints.functions.principal import Unauthenticated
from fabctl.entrypoints.messages.envelope import CommandRejected

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
# Refusals of *who* acts (separation of duties, who may cancel): the caller lacks the right, 403.
FORBIDDING_FIELDS = frozenset({"approver", "cancelled_by", "rejected_by"})


def problem(status: int, kind: str, title: str, detail: str, **extra: str) -> func.HttpResponse:
    document = {"type": f"urn:fabctl:problem:{kind}", "title": title, "status": status, "detail": detail}
    document.update({k: v for k, v in extra.items() if v})
    headers = {"WWW-Authenticate": 'Bearer realm="fabctl"'} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = "1"
    return func.HttpResponse(json.dumps(document), status_code=status, mimetype=CONTENT_TYPE, headers=headers)


def problem_for(error: Exception) -> func.HttpResponse:
    """The response for `error`, raised while handling a request."""
    if isinstance(error, Unauthenticated):
        return problem(401, "unauthenticated", "Not signed in", str(error))
    if isinstance(error, CommandRejected):
        return problem(400, "invalid-request", "The request is invalid", error.description, field=error.field)
    if isinstance(error, DomainError):
        return _refusal(error)
    if isinstance(error, AccessDenied):
        return problem(502, "fabric-access-denied", "Fabric refused fabctl's identity", str(error))
    if isinstance(error, GatewayError):
        return problem(502, "fabric-unavailable", "Fabric failed the call", str(error))
    if isinstance(error, ConcurrencyConflict):
        return problem(503, "concurrent-change", "A concurrent change won; try again", str(error))
    logger.exception("the HTTP API failed unexpectedly")
    return problem(500, "internal-error", "Internal error", f"{type(error).__name__}; the traceback is in the log")


def _refusal(error: DomainError) -> func.HttpResponse:
    field = error.field
    if isinstance(error, PromotionRuleViolation) and field in FORBIDDING_FIELDS:
        return problem(403, "forbidden", "Not allowed to act on this request", str(error), field=field)
    if isinstance(error, NotFound) and field == "id":
        return problem(404, "not-found", "Not found", str(error), field=field)
    if isinstance(error, IllegalTransition | WorkspaceBusy | UnfinishedTransaction):
        return problem(409, "conflict", "Not possible in the current state", str(error), field=field)
    return problem(422, "refused", "Refused by the release rules", str(error), field=field)
