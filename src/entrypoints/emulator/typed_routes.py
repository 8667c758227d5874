"""Typed item aliases (`/VariableLibraries`) that fabric-cicd calls (§8.2 of the notes; the typed reads
with `properties` are in `typed_items`, environments in `environment_routes`). They are views over the
same tenant items.

A Variable Library's active value set is stored by the tenant (`tenant_variable_libraries`) and shown on
`GET .../variableLibraries/{id}` (`typed_items`) and in the snapshot.
"""

from __future__ import annotations

from fabctl.adapters.fabric.tenant_errors import not_found
from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.messages import Response, bad_request, json_response
from fabctl.entrypoints.emulator.router import Call, required_text


def _typed_item(call: Call, item_type: str) -> ItemRecord:
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])
    if item.type != item_type:  # the alias only sees items of its own type
        raise not_found("Item", item.id)
    return item


VARIABLE_LIBRARY_PROPERTIES = "VariableLibraryProperties"  # the recorded answer names its properties' type


def update_variable_library(call: Call) -> Response:
    body = call.body()
    item = _typed_item(call, "VariableLibrary")
    properties = body.get("properties")
    response = item.to_fabric(label=True)
    if properties is not None:
        if not isinstance(properties, dict):
            raise bad_request("The properties field must be an object.")
        active = call.tenant.set_active_value_set(
            item.workspace_id, item.id, required_text(properties, "activeValueSetName")
        )
        response["properties"] = {"$type": VARIABLE_LIBRARY_PROPERTIES, "activeValueSetName": active}
    return json_response(200, response)
