"""The HTTP API: request, approve, reject, cancel and show promotions; a health check.

The caller is who `X-MS-CLIENT-PRINCIPAL` says (principal.py), never a body field. Bodies are
validated with the same models as command messages; errors are problem+json (problems.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import azure.functions as func

from fabctl.application.queries import get_promotion
from fabctl.entrypoints.cli.jsonable import to_jsonable
from fabctl.entrypoints.functions import application
from fabctl.entrypoints.functions.principal import principal_of
from fabctl.entrypoints.functions.problems import problem_for
from fabctl.entrypoints.messages import command_data as data
from fabctl.entrypoints.messages.envelope import CommandRejected, build_command, refuse_actor_fields, validated

api = func.Blueprint()  # type: ignore[no-untyped-call]

_LONGEST_BODY = 1024 * 1024


@api.route(route="health", methods=["GET"])
def health(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(lambda: _health())


@api.route(route="promotions", methods=["POST"])
def request_promotion(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(lambda: _act(req, "RequestPromotion", data.RequestPromotionData, status=201))


@api.route(route="promotions/{id}/approve", methods=["POST"])
def approve_promotion(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(lambda: _act(req, "ApprovePromotion", data.ApprovePromotionData))


@api.route(route="promotions/{id}/reject", methods=["POST"])
def reject_promotion(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(lambda: _act(req, "RejectPromotion", data.RejectPromotionData))


@api.route(route="promotions/{id}/cancel", methods=["POST"])
def cancel_promotion(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(lambda: _act(req, "CancelPromotion", data.CancelPromotionData))


@api.route(route="promotions/{id}", methods=["GET"])
def show_promotion(req: func.HttpRequest) -> func.HttpResponse:
    def show() -> func.HttpResponse:
        principal_of(req.headers)  # reading the audit trail is for signed-in callers too
        return _json(to_jsonable(get_promotion(application.current().uow, req.route_params["id"])))

    return _answer(show)


def _answer(respond: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    try:
        return respond()
    except Exception as e:
        return problem_for(e)


def _act(req: func.HttpRequest, name: str, model: type[data.CommandData], *, status: int = 200) -> func.HttpResponse:
    """Carry out command `name` as the signed-in caller; answer with the promotion as it now stands."""
    principal = principal_of(req.headers)  # verified by App Service Authentication: its object id is recorded
    body = _body(req)
    if "id" in req.route_params:
        if "request_id" in body:
            raise CommandRejected("InvalidCommand", "field 'request_id': the request is named by the URL, not the body",
                                  field="request_id")  # fmt: skip
        body["request_id"] = req.route_params["id"]
    given = validated(model, body, prefix="")
    app = application.current()
    result = app.bus.handle(build_command(name, given, str(uuid.uuid4()), principal.actor, principal.object_id))
    request_id = req.route_params.get("id") or result.id
    headers = {"Location": f"/api/promotions/{request_id}"} if status == 201 else {}
    return _json(to_jsonable(get_promotion(app.uow, request_id)), status=status, headers=headers)


def _body(req: func.HttpRequest) -> dict[str, Any]:
    raw = req.get_body() or b""
    if len(raw) > _LONGEST_BODY:
        raise CommandRejected("InvalidCommand", f"the body is longer than {_LONGEST_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CommandRejected("InvalidJson", f"the body is not UTF-8 JSON ({e})") from None
    if not isinstance(document, dict):
        raise CommandRejected("InvalidCommand", "the body must be a JSON object")
    refuse_actor_fields(document, where="")
    return document


def _health() -> func.HttpResponse:
    """The doctor's cheap checks (settings, state store, Service Bus; nothing of Fabric): 200, or 503 when one
    failed, with the checks' JSON either way."""
    from fabctl.entrypoints.doctor.checks import HEALTH
    from fabctl.entrypoints.doctor.context import DoctorContext
    from fabctl.entrypoints.doctor.report import report
    from fabctl.entrypoints.doctor.run import run_checks

    context = DoctorContext.load()
    document = report(run_checks(HEALTH, context))
    status: dict[str, Any] = {"status": "ok" if document["ok"] else "unhealthy"}
    if context.settings is not None:
        status |= {"state_store": context.settings.state_store, "fabric": context.settings.fabric}
    return _json({**status, **document}, status=200 if document["ok"] else 503)


def _json(document: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(document), status_code=status, mimetype="application/json", headers=headers)
