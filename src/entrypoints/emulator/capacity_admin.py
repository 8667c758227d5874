"""`POST /_emulator/capacities` and `POST /_emulator/role-assignments`: what Fabric's API only reads, set
by a test: a capacity paused (`state` Inactive) or resumed, or added; a principal's role in a workspace.

    POST /_emulator/capacities        {"id"?, "displayName", "state": "Active"|"Inactive", "sku"?}
    POST /_emulator/role-assignments  {"workspaceId", "principal": {"id", "type"}, "role"}

Without an `id`, a capacity is the default one (every workspace's unless it names another).
"""

from __future__ import annotations

from typing import Any

from fabctl.adapters.fabric.tenant_records import DEFAULT_CAPACITY_ID
from fabctl.entrypoints.emulator.messages import Response, bad_request, json_response
from fabctl.entrypoints.emulator.router import optional_text, required_text

ROUTES = ("capacities", "role-assignments")


def seed(tenant: Any, what: str, body: dict[str, Any]) -> Response:
    if what == "capacities":
        capacity = tenant.put_capacity(
            optional_text(body, "id") or DEFAULT_CAPACITY_ID,
            required_text(body, "displayName"),
            required_text(body, "state"),
            optional_text(body, "sku") or "F2",
        )
        return json_response(200, capacity.to_fabric())
    principal = body.get("principal")
    if not isinstance(principal, dict):
        raise bad_request("The principal field is required and must be an object of id and type.")
    assignment = tenant.set_role_assignment(
        required_text(body, "workspaceId"),
        required_text(principal, "id"),
        required_text(principal, "type"),
        required_text(body, "role"),
    )
    return json_response(200, assignment.to_fabric())
