"""The Microsoft Graph v1.0 routes fabctl reads, under `/graph/v1.0` on the emulator's port.

Served: `GET /users/{id or UPN}`, `GET /users?$filter=`, `GET /groups/{id}`, `GET /groups?$filter=`,
`GET /groups/{id}/transitiveMembers`, `GET /servicePrincipals/{id}`, `GET /servicePrincipals?$filter=`, with
`$top`, `$select` and `@odata.nextLink` paging. Graph's errors have their own shape
(`{"error": {"code", "message", "innerError"}}`), not Fabric's, and Graph is not behind Fabric's knobs
(faults, throttling, latency): its own (403, 429) are seeded with the directory (graph_directory.py).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from urllib.parse import urlencode

from fabctl.entrypoints.emulator.graph_directory import KINDS, GraphDirectoryState
from fabctl.entrypoints.emulator.graph_filter import FilterError, parse_filter
from fabctl.entrypoints.emulator.messages import Request, Response, json_response

PREFIX = "/graph/v1.0"
DEFAULT_PAGE = 100  # Graph's default page of directory objects
MAX_PAGE = 999  # the largest $top Graph accepts on these collections
_FILTERABLE = {
    "users": ("User", frozenset({"id", "userPrincipalName", "displayName"})),
    "groups": ("Group", frozenset({"id", "displayName"})),
    "servicePrincipals": ("ServicePrincipal", frozenset({"id", "appId", "displayName"})),
}


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        inner = {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": request.header("client-request-id") or request_id,
        }
        body = {"error": {"code": self.code, "message": self.message, "innerError": inner}}
        return json_response(self.status, body, {**self.headers, "request-id": request_id})


def handle(state: GraphDirectoryState, request: Request) -> Response:
    try:
        return _serve(state, request)
    except GraphError as e:
        return e.response(request)


def _serve(state: GraphDirectoryState, request: Request) -> Response:
    segments = [s for s in request.path.removeprefix(PREFIX).strip("/").split("/") if s]
    with state.lock:
        state.served += 1
        throttled = state.throttle.remaining > 0
        if throttled:
            state.throttle.remaining -= 1
        wait = state.throttle.retry_after_s
        denied = segments[0] in state.denied if segments else False
    if throttled:
        raise GraphError(429, "TooManyRequests", "Too many requests.", {"Retry-After": str(wait)})
    if request.method != "GET" or not segments or segments[0] not in KINDS:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segments[0] if segments else ''}'.")
    collection = segments[0]
    if denied:
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    if len(segments) == 1:
        return _page(request, _filtered(state, collection, request), f"{PREFIX}/{collection}")
    found = _one(state, collection, segments[1])
    if len(segments) == 2:
        return json_response(200, _select(found, request))
    if len(segments) == 3 and collection == "groups" and segments[2].casefold() == "transitivemembers":
        members = state.transitive_members(found["id"])
        return _page(request, members, f"{PREFIX}/groups/{found['id']}/transitiveMembers")
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segments[2]}'.")


def _filtered(state: GraphDirectoryState, collection: str, request: Request) -> list[dict[str, Any]]:
    text = request.query.get("$filter")
    if text is None:
        with state.lock:
            return [o for o in state.objects.values() if o["@odata.type"] == KINDS[collection][0]]
    resource, supported = _FILTERABLE[collection]
    try:
        clause = parse_filter(text, resource=resource, supported=supported)
    except FilterError as e:
        raise GraphError(400, e.code, e.message) from e
    return state.find(collection, clause.prop, clause.value)


def _one(state: GraphDirectoryState, collection: str, key: str) -> dict[str, Any]:
    # Users are addressed by object id or by UPN; the other collections by object id only.
    props = ("id", "userPrincipalName") if collection == "users" else ("id",)
    for prop in props:
        hits = state.find(collection, prop, key)
        if hits:
            return hits[0]
    raise GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
    )


def _page(request: Request, objects: list[dict[str, Any]], path: str) -> Response:
    top = _top(request)
    token = request.query.get("$skiptoken", "0")
    start = int(token) if token.isdigit() else 0
    shown = objects[start : start + top]
    body: dict[str, Any] = {
        "@odata.context": f"{request.base_url}{PREFIX}/$metadata#directoryObjects",
        "value": [_select(o, request) for o in shown],
    }
    if start + top < len(objects):
        kept = {k: v for k, v in request.query.items() if k in ("$select", "$filter")}
        query = urlencode({"$top": top, "$skiptoken": start + top, **kept}, safe="$")
        body["@odata.nextLink"] = f"{request.base_url}{path}?{query}"
    return json_response(200, body)


def _top(request: Request) -> int:
    text = request.query.get("$top")
    if text is None:
        return DEFAULT_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        message = f"Invalid page size specified: '{text}'. Must be between 1 and {MAX_PAGE} inclusive."
        raise GraphError(400, "Request_UnsupportedQuery", message)
    return int(text)


def _select(record: dict[str, Any], request: Request) -> dict[str, Any]:
    text = request.query.get("$select")
    if not text:
        return dict(record)
    wanted = {name.strip().casefold() for name in text.split(",")}
    return {k: v for k, v in record.items() if k == "@odata.type" or k.casefold() in wanted}
