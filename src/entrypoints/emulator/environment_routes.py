"""Environments (`/workspaces/{id}/environments`): the typed views with `properties.publishDetails`, and
`staging/publish`, a long-running operation (docs/reference/fabric-recorded-behaviour.md).

The publish state lives in the tenant (`tenant_environments`), so the in-process local Fabric publishes
the same way. The emulator adds the HTTP: a 202 with `Location`, `x-ms-operation-id` and the knob's
`Retry-After` (Fabric sent 120 s), an empty body, and an operation that ends when the publish does:
Succeeded, or Failed for an environment the `failing_publishes` knob names.
"""

from __future__ import annotations

from typing import Any

from fabctl.adapters.fabric.tenant_environments import ENVIRONMENT
from fabctl.adapters.fabric.tenant_errors import not_found
from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.messages import Response, json_response
from fabctl.entrypoints.emulator.operations import accepted
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call

PUBLISH_FAILED = {
    "errorCode": "EnvironmentPublishFailed",
    "message": "Publishing the environment's staged settings and libraries failed (failing_publishes knob)",
    "isRetriable": False,
}


def _environment(call: Call) -> ItemRecord:
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])
    if item.type != ENVIRONMENT:  # the alias only sees environments
        raise not_found("Item", item.id)
    return item


def _with_publish_details(item: ItemRecord, details: dict[str, Any]) -> dict[str, Any]:
    return {**item.to_fabric(), "properties": {"publishDetails": details}}


def list_environments(call: Call) -> Response:
    workspace_id = call["workspaceId"]
    details = call.tenant.list_publish_details(workspace_id)
    environments = [
        _with_publish_details(item, details[item.id].to_fabric())
        for item in call.tenant.list_items(workspace_id, ENVIRONMENT)
        if item.id in details  # one created between the two reads is listed next time
    ]
    return paged(call, environments)


def get_environment(call: Call) -> Response:
    item = _environment(call)
    details = call.tenant.publish_details(call["workspaceId"], item.id)
    return json_response(200, _with_publish_details(item, details.to_fabric()))


def publish_environment(call: Call) -> Response:
    call.body(required=False)  # `?beta=False` and fabric-cicd's "{}" body change nothing
    item = _environment(call)
    options = call.options
    fails = item.display_name.casefold() in {name.casefold() for name in options.failing_publishes}
    duration = options.publish_ms / 1000
    # The tenant's publish starts first, so by the time the operation says it ended, the state says so too.
    call.tenant.publish_environment(call["workspaceId"], item.id, duration_s=duration, fails=fails)
    # Retry-After: the recorded 120 s (publish_retry_after_s), or the publish's own remaining time if longer.
    operation = call.operations.start(
        duration, error=PUBLISH_FAILED if fails else None, retry_floor=options.publish_retry_after_s
    )
    return accepted(operation, call.request.base_url)
