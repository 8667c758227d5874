"""Typed item aliases (`/lakehouses`, `/eventhouses`, `/VariableLibraries`) that fabric-cicd calls
(§8.2 of the notes). They are views over the same tenant items, plus the `properties` a client reads.
Environments have their own module (`environment_routes`).

Only what fabric-cicd needs is modelled: a Variable Library's active value set is validated and echoed
but not stored.
"""

from __future__ import annotations

from fabctl.adapters.fabric.tenant_errors import not_found
from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.messages import Response, bad_request, json_response
from fabctl.entrypoints.emulator.router import Call, required_text

ONELAKE = "https://onelake.dfs.fabric.microsoft.com"


def _typed_item(call: Call, item_type: str) -> ItemRecord:
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])
    if item.type != item_type:  # the alias only sees items of its own type
        raise not_found("Item", item.id)
    return item


def get_lakehouse(call: Call) -> Response:
    workspace_id, lakehouse_id = call["workspaceId"], call["itemId"]
    endpoint = call.tenant.get_sql_endpoint(workspace_id, lakehouse_id)
    body = call.tenant.get_item(workspace_id, lakehouse_id).to_fabric()
    body["properties"] = {
        "oneLakeTablesPath": f"{ONELAKE}/{workspace_id}/{lakehouse_id}/Tables",
        "oneLakeFilesPath": f"{ONELAKE}/{workspace_id}/{lakehouse_id}/Files",
        "sqlEndpointProperties": endpoint.to_fabric(),
    }
    return json_response(200, body)


def get_eventhouse(call: Call) -> Response:
    workspace_id, eventhouse_id = call["workspaceId"], call["itemId"]
    service = call.tenant.get_query_service(workspace_id, eventhouse_id)
    body = call.tenant.get_item(workspace_id, eventhouse_id).to_fabric()
    body["properties"] = {**service.to_fabric(), "databasesItemIds": [], "minimumConsumptionUnits": 0}
    return json_response(200, body)


def update_variable_library(call: Call) -> Response:
    body = call.body()
    item = _typed_item(call, "VariableLibrary")
    properties = body.get("properties")
    response = item.to_fabric()
    if properties is not None:
        if not isinstance(properties, dict):
            raise bad_request("The properties field must be an object.")
        response["properties"] = {"activeValueSetName": required_text(properties, "activeValueSetName")}
    return json_response(200, response)
