"""`GET /workspaces/{id}/kqlDatabases[/{id}]`: a KQL database with the `properties` clients read, the
recorded keys (docs/reference/fabric-recorded-behaviour.md): `databaseType`, `parentEventhouseItemId`,
`queryServiceUri`, `ingestionServiceUri`.

fabric-cicd reads `properties.queryServiceUri` to fill the empty `clusterUri` of KQL querysets and
Real-Time dashboards. A KQL database lives in an Eventhouse and answers with its parent's query and
ingestion URIs; the parent is the `parentEventhouseItemId` of the database's `DatabaseProperties.json`
(the part Fabric's git format keeps it in). A database whose parent is not known (no such part, or
the Eventhouse is gone) answers with null URIs, as Fabric does before the service is provisioned.
"""

from __future__ import annotations

import json
from typing import Any

from fabctl.adapters.fabric.tenant_errors import TenantError, not_found
from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.messages import Response, json_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call

PROPERTIES_PART = "DatabaseProperties.json"


def _declared_properties(call: Call, item: ItemRecord) -> dict[str, Any]:
    part = call.tenant.get_definition(item.workspace_id, item.id).part(PROPERTIES_PART)
    text = part.text if part is not None else None
    try:
        declared = json.loads(text) if text else {}
    except json.JSONDecodeError:  # stored as sent: a client may have uploaded anything
        return {}
    return declared if isinstance(declared, dict) else {}


def _kql_database(call: Call, item: ItemRecord) -> dict[str, Any]:
    declared = _declared_properties(call, item)
    parent = declared.get("parentEventhouseItemId")
    uris: dict[str, Any] = {"queryServiceUri": None, "ingestionServiceUri": None}
    if isinstance(parent, str):
        try:
            uris = call.tenant.get_query_service(item.workspace_id, parent).to_fabric()
        except TenantError:  # the parent is not an Eventhouse of this workspace (any more)
            parent = None
    body = item.to_fabric()
    body["properties"] = {
        "parentEventhouseItemId": parent if isinstance(parent, str) else None,
        **uris,
        "databaseType": declared.get("databaseType", "ReadWrite"),
    }
    return body


def get_kql_database(call: Call) -> Response:
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])
    if item.type != "KQLDatabase":  # the typed alias only sees its own type
        raise not_found("Item", item.id)
    return json_response(200, _kql_database(call, item))


def list_kql_databases(call: Call) -> Response:
    databases = call.tenant.list_items(call["workspaceId"], "KQLDatabase")
    return paged(call, [_kql_database(call, item) for item in databases])
