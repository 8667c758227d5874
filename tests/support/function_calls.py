"""Calling the Function app's functions as the Functions host would: through `app.get_functions()`, with
the real `azure.functions` request and message types (the host itself cannot run on this machine).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import azure.functions as func
import function_app
from azure.functions.servicebus import ServiceBusMessage
from azure.functions.timer import TimerRequest

from fabctl.entrypoints.functions.principal import HEADER, OBJECT_ID, UPN

ACTOR_PROPERTY = "fabctl-actor"


@cache
def indexed() -> dict[str, Any]:
    """The app's functions by name, indexed once as the host does (a second `get_functions()` is refused)."""
    return {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}


def function(name: str) -> Any:
    """The user function the host would call for the function named `name`."""
    return indexed()[name]


def principal_header(upn: str, object_id: str = "") -> dict[str, str]:
    """`X-MS-CLIENT-PRINCIPAL` as App Service Authentication sends it: base64 JSON of the token's claims."""
    claims = [{"typ": OBJECT_ID, "val": object_id or f"oid-of-{upn}"}, {"typ": UPN, "val": upn}]
    document = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return {HEADER: base64.b64encode(json.dumps(document).encode()).decode()}


def http(
    method: str, route: str, *, headers: dict[str, str] | None = None, body: object = None, **route_params: str
) -> func.HttpResponse:
    """Call the HTTP function serving `route` (its name), as the host would for /api/..."""
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    request = func.HttpRequest(method, f"http://localhost/api/{route}", headers=headers or {}, params={},
                               route_params=route_params, body=raw)  # fmt: skip
    response: func.HttpResponse = function(route_function(method, route))(request)
    return response


def route_function(method: str, route: str) -> str:
    parts = route.split("/")
    if parts == ["health"]:
        return "health"
    if len(parts) == 1:
        return "request_promotion"
    if len(parts) == 2:
        return "show_promotion"
    return f"{parts[2]}_promotion"


def document(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def service_bus_message(
    body: object, message_id: str, actor: str | None = None, delivery_count: int = 1, **more: str
) -> Any:
    """A message as the Service Bus trigger hands it to the function (the host's own type); `more`: other
    application properties (a sender's `traceparent`)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    properties = ({} if actor is None else {ACTOR_PROPERTY: actor}) | more
    return ServiceBusMessage(
        body=raw, message_id=message_id, application_properties=properties, user_properties=properties,
        content_type="application/json", delivery_count=delivery_count, session_id="workspace",
        enqueued_time_utc=datetime.now(UTC), lock_token="00000000-0000-0000-0000-000000000001",
    )  # fmt: skip


def command(name: str, **data: object) -> dict[str, object]:
    return {"command": name, "version": 1, "data": data}


def timer() -> func.TimerRequest:
    """A timer tick as the host decodes it (`azure.functions.timer.TimerRequest`, the concrete type)."""
    return TimerRequest(past_due=False)
