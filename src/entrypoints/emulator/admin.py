"""`/_emulator/*`: the test and benchmark surface. No auth, faults, latency or request logging,
so inspecting or re-tuning the server never disturbs what is being measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fabctl.adapters.fabric.tenant_errors import TenantError
from fabctl.entrypoints.emulator import capacity_admin
from fabctl.entrypoints.emulator import connection_routes as seeding
from fabctl.entrypoints.emulator.graph_directory import SeedError
from fabctl.entrypoints.emulator.messages import (
    ApiError,
    Request,
    Response,
    bad_request,
    json_response,
    not_found_route,
)

if TYPE_CHECKING:
    from fabctl.entrypoints.emulator.app import EmulatorApp

PREFIX = "/_emulator"


def handle(app: EmulatorApp, request: Request) -> Response:
    action = (request.method, request.path.removeprefix(PREFIX).strip("/"))
    if action == ("POST", "reset"):
        app.reset()
        return json_response(200, {"reset": True})
    if action == ("GET", "snapshot"):
        ids = request.query.get("ids", "true").strip().lower() not in ("false", "0", "no")
        return json_response(200, app.tenant.snapshot(ids=ids))
    if action == ("GET", "requests"):
        return json_response(200, app.log.to_json())
    if action == ("GET", "config"):
        return json_response(200, app.options.runtime_view())
    if action == ("POST", "config"):
        changes = request.json()
        if not isinstance(changes, dict):
            raise ApiError(400, "BadRequest", 'The body must be a JSON object of knobs, e.g. {"fault_rate": 0.1}')
        try:
            return json_response(200, app.configure(changes).runtime_view())
        except ValueError as e:
            raise ApiError(400, "BadRequest", str(e)) from e
    if action in (("POST", "spark-pools"), ("POST", "connections")):
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object")
        seed = seeding.seed_spark_pool if action[1] == "spark-pools" else seeding.seed_connection
        try:
            return seed(app.tenant, body)
        except TenantError as e:
            raise ApiError.from_tenant(e) from e
    if action[0] == "POST" and action[1] in capacity_admin.ROUTES:  # a paused capacity, a role (capacity_admin.py)
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object")
        try:
            return capacity_admin.seed(app.tenant, action[1], body)
        except TenantError as e:
            raise ApiError.from_tenant(e) from e
    if action == ("GET", "connections"):
        return seeding.connections_with_digests(app.tenant)
    if action == ("GET", "graph"):
        return json_response(200, app.graph.view())
    if action == ("POST", "graph"):  # users, groups, service principals, members, deny, throttle (docs/emulator.md)
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object")
        try:
            return json_response(200, app.graph.seed(body))
        except SeedError as e:
            raise bad_request(str(e)) from e
    raise not_found_route(request.method, request.path)
