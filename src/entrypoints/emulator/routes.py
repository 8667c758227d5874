"""The Fabric REST v1 surface the emulator serves: the route table, and the workspace, capacity
and operation handlers (items and folders are in `item_routes`, typed aliases in `typed_routes`).
Every handler wraps `FabricTenant`, which owns the rules; handlers only translate between JSON and
the tenant's calls.
"""

from __future__ import annotations

from fabctl.adapters.fabric.tenant_records import DEFAULT_CAPACITY_REGION, ONELAKE_BLOB_ENDPOINT, ONELAKE_DFS_ENDPOINT
from fabctl.entrypoints.emulator import connection_routes as connections
from fabctl.entrypoints.emulator import environment_routes as environments
from fabctl.entrypoints.emulator import item_routes as items
from fabctl.entrypoints.emulator import job_routes as jobs
from fabctl.entrypoints.emulator import refresh_routes as refreshes
from fabctl.entrypoints.emulator import shortcut_routes as shortcuts
from fabctl.entrypoints.emulator import typed_routes as typed
from fabctl.entrypoints.emulator.faults import principal_of
from fabctl.entrypoints.emulator.messages import Response, bad_request, empty_response, json_response
from fabctl.entrypoints.emulator.operations import result_response, state_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call, Route, Router, optional_id, optional_text, required_text
from fabctl.entrypoints.emulator.typed_items import typed_item_routes

# --- workspaces and role assignments (§7) ------------------------------------------------------


def list_workspaces(call: Call) -> Response:
    return paged(call, [w.to_fabric() for w in call.tenant.list_workspaces()])


def create_workspace(call: Call) -> Response:
    body = call.body()
    caller = principal_of(call.request.header("Authorization"))
    workspace = call.tenant.create_workspace(
        required_text(body, "displayName"),
        optional_id(body, "capacityId"),
        optional_text(body, "description") or "",
        creator=None if caller == "anonymous" else caller,  # the caller becomes its Admin, as in Fabric
    )
    location = f"{call.request.base_url}/v1/workspaces/{workspace.id}"
    return json_response(201, workspace.to_fabric(), {"Location": location})


def get_workspace(call: Call) -> Response:
    workspace = call.tenant.get_workspace(call["workspaceId"])
    body = workspace.to_fabric()
    if workspace.capacity_id is not None:  # assignment is instantaneous here (WorkspaceInfo adds the progress)
        body["capacityAssignmentProgress"] = "Completed"
        regions = {c.id: c.region for c in call.tenant.list_capacities()}
        body["capacityRegion"] = regions.get(workspace.capacity_id, DEFAULT_CAPACITY_REGION)
    body["oneLakeEndpoints"] = {"blobEndpoint": ONELAKE_BLOB_ENDPOINT, "dfsEndpoint": ONELAKE_DFS_ENDPOINT}
    return json_response(200, body)


def update_workspace(call: Call) -> Response:
    body = call.body()
    workspace = call.tenant.update_workspace(
        call["workspaceId"], optional_text(body, "displayName"), optional_text(body, "description")
    )
    return json_response(200, workspace.to_fabric())


def delete_workspace(call: Call) -> Response:
    call.tenant.delete_workspace(call["workspaceId"])
    return empty_response(200)


def assign_to_capacity(call: Call) -> Response:
    capacity_id = required_text(call.body(), "capacityId").lower()
    call.tenant.assign_to_capacity(call["workspaceId"], capacity_id)
    return empty_response(202)  # no Location: the real 202 here is not pollable


def unassign_from_capacity(call: Call) -> Response:
    call.body(required=False)
    call.tenant.unassign_from_capacity(call["workspaceId"])
    return empty_response(202)


def list_role_assignments(call: Call) -> Response:
    return paged(call, [a.to_fabric() for a in call.tenant.list_role_assignments(call["workspaceId"])])


def add_role_assignment(call: Call) -> Response:
    body = call.body()
    principal = body.get("principal")
    if not isinstance(principal, dict):
        raise bad_request("The principal field is required and must be an object.")
    assignment = call.tenant.add_role_assignment(
        call["workspaceId"],
        required_text(principal, "id").lower(),
        required_text(principal, "type"),
        required_text(body, "role"),
    )
    location = f"{call.request.base_url}/v1/workspaces/{call['workspaceId']}/roleAssignments/{assignment.id}"
    return json_response(201, assignment.to_fabric(), {"Location": location})


# --- capacities and operations (§6, §7) ---------------------------------------------------------


def list_capacities(call: Call) -> Response:
    return paged(call, [c.to_fabric() for c in call.tenant.list_capacities()])


def get_operation(call: Call) -> Response:
    operation, now = call.operations.poll(call["operationId"])
    return state_response(operation, call.request.base_url, now)


def get_operation_result(call: Call) -> Response:
    return result_response(call.operations.get(call["operationId"]), call.operations.now())


WS = "/v1/workspaces/{workspaceId}"
ITEM = WS + "/items/{itemId}"
REFRESHES = "/v1.0/myorg/groups/{workspaceId}/datasets/{datasetId}/refreshes"  # Power BI REST, not Fabric's v1
FOLDER = WS + "/folders/{folderId}"

ROUTES = (
    Route("GET", "/v1/workspaces", list_workspaces),
    Route("POST", "/v1/workspaces", create_workspace),
    Route("GET", WS, get_workspace),
    Route("PATCH", WS, update_workspace),
    Route("DELETE", WS, delete_workspace),
    Route("POST", WS + "/assignToCapacity", assign_to_capacity),
    Route("POST", WS + "/unassignFromCapacity", unassign_from_capacity),
    Route("GET", WS + "/roleAssignments", list_role_assignments),
    Route("POST", WS + "/roleAssignments", add_role_assignment),
    Route("GET", WS + "/items", items.list_items),
    Route("POST", WS + "/items", items.create_item, may_be_lro=True),
    Route("GET", ITEM, items.get_item),
    Route("PATCH", ITEM, items.update_item),
    Route("DELETE", ITEM, items.delete_item),
    Route("POST", ITEM + "/getDefinition", items.get_definition, may_be_lro=True),
    Route("POST", ITEM + "/updateDefinition", items.update_definition, may_be_lro=True),
    Route("POST", ITEM + "/move", items.move_item),
    Route("POST", ITEM + "/jobs/instances", jobs.run_on_demand_job),
    Route("GET", ITEM + "/jobs/instances/{jobInstanceId}", jobs.get_job_instance),
    Route("POST", REFRESHES, refreshes.refresh_dataset),
    Route("GET", REFRESHES, refreshes.refresh_history),
    Route("GET", WS + "/folders", items.list_folders),
    Route("POST", WS + "/folders", items.create_folder),
    Route("GET", FOLDER, items.get_folder),
    Route("PATCH", FOLDER, items.update_folder),
    Route("DELETE", FOLDER, items.delete_folder),
    Route("POST", FOLDER + "/move", items.move_folder),
    Route("GET", WS + "/environments", environments.list_environments),
    Route("GET", WS + "/environments/{itemId}", environments.get_environment),
    Route("POST", WS + "/environments/{itemId}/staging/publish", environments.publish_environment),
    Route("PATCH", WS + "/VariableLibraries/{itemId}", typed.update_variable_library),
    Route("GET", WS + "/spark/pools", connections.list_spark_pools),
    Route("GET", ITEM + "/connections", connections.list_item_connections),
    Route("POST", WS + "/semanticModels/{itemId}/bindConnection", connections.bind_connection),
    Route("GET", "/v1/connections", connections.list_connections),
    Route("POST", "/v1/connections", connections.create_connection),
    Route("GET", "/v1/connections/{connectionId}", connections.get_connection),
    Route("PATCH", "/v1/connections/{connectionId}", connections.update_connection),
    Route("DELETE", "/v1/connections/{connectionId}", connections.delete_connection),
    Route("GET", ITEM + "/shortcuts", shortcuts.list_shortcuts),
    Route("POST", ITEM + "/shortcuts", shortcuts.create_shortcut),
    Route("GET", ITEM + "/shortcuts/{shortcutPath*}", shortcuts.get_shortcut),
    Route("DELETE", ITEM + "/shortcuts/{shortcutPath*}", shortcuts.delete_shortcut),
    Route("GET", "/v1/capacities", list_capacities),
    Route("GET", "/v1/operations/{operationId}", get_operation, polls_operation=True),
    Route("GET", "/v1/operations/{operationId}/result", get_operation_result, polls_operation=True),
    *typed_item_routes(WS),
)


def fabric_router() -> Router:
    return Router(ROUTES)
