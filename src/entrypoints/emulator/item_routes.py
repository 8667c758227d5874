"""Handlers for items, their definitions and folders (§8 of the notes).

Reads (list, GET, PATCH, move) show every item's `sensitivityLabel`, as the recorded lists do; a
create's answer (its 201 body or its operation's `/result`) shows it only for the types the
recording shows it for (`create_semantics.LABELLED_ON_CREATE`).
"""

from __future__ import annotations

from typing import Any

from fabctl.domain.definition import DefinitionPart
from fabctl.domain.errors import InvalidSource
from fabctl.entrypoints.emulator.create_semantics import LABELLED_ON_CREATE, create_is_long_running
from fabctl.entrypoints.emulator.messages import ApiError, Response, bad_request, empty_response, json_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call, flag, optional_id, optional_text, required_text

INLINE_BASE64 = "InlineBase64"


def _parts(definition: Any) -> list[DefinitionPart]:
    if not isinstance(definition, dict) or not isinstance(definition.get("parts"), list):
        raise bad_request("The definition field must be an object with a parts array.")
    parts = []
    for part in definition["parts"]:
        if not isinstance(part, dict):
            raise bad_request("Every definition part must be an object.")
        path, payload = required_text(part, "path"), required_text(part, "payload")
        kind = optional_text(part, "payloadType") or ""
        if kind.casefold() != INLINE_BASE64.casefold():  # enums are case-insensitive on input
            raise ApiError(400, "UnsupportedPayloadType", f"Payload type '{kind}' of part '{path}' is not supported")
        try:
            parts.append(DefinitionPart.from_base64(path, payload))
        except InvalidSource as e:
            raise ApiError(400, "CorruptedPayload", f"The payload of part '{path}' is not valid base64") from e
    return parts


# --- items -------------------------------------------------------------------------------------


def list_items(call: Call) -> Response:
    items = call.tenant.list_items(call["workspaceId"], call.request.query.get("type") or None)
    return paged(call, [i.to_fabric(label=True) for i in items])


def create_item(call: Call) -> Response:
    body = call.body()
    name, item_type = required_text(body, "displayName"), required_text(body, "type")
    parts = None if body.get("definition") is None else _parts(body["definition"])
    payload = body.get("creationPayload")
    if payload is not None and not isinstance(payload, dict):
        raise bad_request("The creationPayload field must be an object.")

    def work() -> dict[str, Any]:
        item = call.tenant.create_item(
            call["workspaceId"],
            item_type,
            name,
            description=optional_text(body, "description") or "",
            definition=parts,
            folder_id=optional_id(body, "folderId"),
            creation_payload=payload,
        )
        return item.to_fabric(label=item.type in LABELLED_ON_CREATE)

    # Whether Fabric answers 201 or 202 depends on the type alone, as recorded (create_semantics.py).
    return call.eventually(
        work,
        lambda item: json_response(201, item, {"ETag": '""'}),
        eligible=create_is_long_running(item_type, bare=parts is None and payload is None),
        retry_after_s=call.options.create_retry_after_s,
    )


def get_item(call: Call) -> Response:
    return json_response(200, call.tenant.get_item(call["workspaceId"], call["itemId"]).to_fabric(label=True))


def update_item(call: Call) -> Response:
    body = call.body()
    item = call.tenant.update_item(
        call["workspaceId"],
        call["itemId"],
        display_name=optional_text(body, "displayName"),
        description=optional_text(body, "description"),
    )
    return json_response(200, item.to_fabric(label=True))


def delete_item(call: Call) -> Response:
    call.tenant.delete_item(call["workspaceId"], call["itemId"])
    return empty_response(200)


def get_definition(call: Call) -> Response:
    call.body(required=False)

    def work() -> dict[str, Any]:
        definition = call.tenant.get_definition(call["workspaceId"], call["itemId"])
        parts = [{"path": p.path, "payload": p.to_base64(), "payloadType": INLINE_BASE64} for p in definition.parts]
        return {"definition": {"parts": parts}}

    return call.eventually(work, lambda result: json_response(200, result))


def update_definition(call: Call) -> Response:
    body = call.body()
    if body.get("definition") is None:
        raise bad_request("The definition field is required.")
    parts = _parts(body["definition"])
    update_metadata = flag(call.request.query, "updateMetadata")

    def work() -> None:
        call.tenant.update_definition(call["workspaceId"], call["itemId"], parts, update_metadata=update_metadata)

    return call.eventually(work, lambda _: empty_response(200))


def move_item(call: Call) -> Response:
    body = call.body(required=False)
    item = call.tenant.move_item(call["workspaceId"], call["itemId"], optional_id(body, "targetFolderId"))
    return json_response(200, {"value": [item.to_fabric(label=True)]})


# --- folders -----------------------------------------------------------------------------------


def list_folders(call: Call) -> Response:
    return paged(call, [f.to_fabric() for f in call.tenant.list_folders(call["workspaceId"])])


def create_folder(call: Call) -> Response:
    body = call.body()
    workspace_id = call["workspaceId"]
    name, parent_id = required_text(body, "displayName"), optional_id(body, "parentFolderId")
    folder = call.tenant.create_folder(workspace_id, name, parent_id)
    location = f"{call.request.base_url}/v1/workspaces/{workspace_id}/folders/{folder.id}"
    return json_response(201, folder.to_fabric(), {"Location": location})


def get_folder(call: Call) -> Response:
    return json_response(200, call.tenant.get_folder(call["workspaceId"], call["folderId"]).to_fabric())


def update_folder(call: Call) -> Response:
    name = required_text(call.body(), "displayName")
    return json_response(200, call.tenant.rename_folder(call["workspaceId"], call["folderId"], name).to_fabric())


def delete_folder(call: Call) -> Response:
    call.tenant.delete_folder(call["workspaceId"], call["folderId"])
    return empty_response(200)


def move_folder(call: Call) -> Response:
    target = optional_id(call.body(required=False), "targetFolderId")
    return json_response(200, call.tenant.move_folder(call["workspaceId"], call["folderId"], target).to_fabric())
