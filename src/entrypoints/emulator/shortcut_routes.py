"""OneLake shortcuts: `GET/POST .../items/{id}/shortcuts` and `GET/DELETE .../shortcuts/{path}/{name}`.

The tenant (`tenant_shortcuts`) owns the rules; this module translates JSON and Fabric's wire details:
the list answers `Content-Type: application/json` without a charset, as recorded, and a refused
shortcut carries `moreDetails` and `isRetriable`, as the recorded 400 does.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from fabctl.adapters.fabric.tenant_shortcuts import ShortcutRefused
from fabctl.entrypoints.emulator.messages import ApiError, Response, bad_request, empty_response, json_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call

RECORDED_LIST_TYPE = "application/json"


def _path_and_name(call: Call) -> tuple[str, str]:
    """`{path}/{name}` of the URL: the name is the last segment, the path (with its slashes) the rest."""
    path, _, name = unquote(call["shortcutPath"]).rpartition("/")
    if not path or not name:
        raise bad_request("The shortcut is addressed as .../shortcuts/{path}/{name}, e.g. Files/raw/sales")
    return path, name


def _refusal(error: ShortcutRefused) -> ApiError:
    return ApiError(error.status, error.error_code, error.message, more_details=error.more_details, is_retriable=False)


def list_shortcuts(call: Call) -> Response:
    found = call.tenant.list_shortcuts(call["workspaceId"], call["itemId"])
    response = paged(call, [s.to_fabric() for s in found])
    response.content_type = RECORDED_LIST_TYPE
    return response


def get_shortcut(call: Call) -> Response:
    path, name = _path_and_name(call)
    return json_response(200, call.tenant.get_shortcut(call["workspaceId"], call["itemId"], path, name).to_fabric())


def create_shortcut(call: Call) -> Response:
    policy = call.request.query.get("shortcutConflictPolicy", "Abort")
    try:
        created = call.tenant.create_shortcut(call["workspaceId"], call["itemId"], call.body(), policy)
    except ShortcutRefused as e:
        raise _refusal(e) from e
    item_url = f"{call.request.base_url}/v1/workspaces/{call['workspaceId']}/items/{call['itemId']}"
    location = f"{item_url}/shortcuts/{quote(created.path)}/{quote(created.name)}"
    return json_response(201, created.to_fabric(), {"Location": location})


def delete_shortcut(call: Call) -> Response:
    path, name = _path_and_name(call)
    call.tenant.delete_shortcut(call["workspaceId"], call["itemId"], path, name)
    return empty_response(200)
