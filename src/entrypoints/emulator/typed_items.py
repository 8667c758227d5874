"""Typed item routes whose answer carries `properties` (`GET /workspaces/{ws}/lakehouses/{id}`, their
list forms, ...): what clients read connection strings, SQL endpoints and query services from.

fabric-cicd reads `{type.lower()}s/{id}` for the types of its `$items` attributes and `kqlDatabases/{id}`
for KQL querysets and dashboards; fabctl reads the same attributes of the same types. A typed route
sees only items of its own type (any other id is 404 ItemNotFound), as Fabric's do. The properties
themselves are the tenant's (`tenant_properties.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.messages import Response, json_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call, Route

# The path segment of each typed route (matched case-insensitively) and the type it serves.
TYPED_SEGMENTS = {
    "lakehouses": "Lakehouse",
    "warehouses": "Warehouse",
    "sqlDatabases": "SQLDatabase",
    "mirroredDatabases": "MirroredDatabase",
    "eventhouses": "Eventhouse",
    "kqlDatabases": "KQLDatabase",
    "variableLibraries": "VariableLibrary",
}


def _body(item: ItemRecord, properties: dict[str, Any]) -> dict[str, Any]:
    return {**item.to_fabric(label=True), "properties": properties}


def _get(item_type: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        item, properties = call.tenant.typed_item(call["workspaceId"], call["itemId"], item_type)
        return json_response(200, _body(item, properties))

    return handler


def _list(item_type: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        found = call.tenant.typed_items(call["workspaceId"], item_type)
        return paged(call, [_body(item, properties) for item, properties in found])

    return handler


def typed_item_routes(workspace: str) -> tuple[Route, ...]:
    """GET one and GET the list, for every typed segment, under the workspace route `workspace`."""
    routes: list[Route] = []
    for segment, item_type in TYPED_SEGMENTS.items():
        routes.append(Route("GET", f"{workspace}/{segment}", _list(item_type)))
        routes.append(Route("GET", f"{workspace}/{segment}/{{itemId}}", _get(item_type)))
    return tuple(routes)
