"""Semantic model refreshes, Power BI REST API (`/v1.0/myorg/groups/{id}/datasets/{id}/refreshes`).

Served beside Fabric's `/v1` on the same server (docs/emulator.md, "Item jobs"). A refresh is kept as a
job instance of type `ViaApi` in the emulator's job store, so the job knobs decide it: it runs `job_ms`,
and fails for a model the `failing_jobs` knob names (or by `job_failure_rate`). Its status reads
"Unknown" while it runs, as Power BI's does; errors have Power BI's shape `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fabctl.adapters.fabric.tenant_errors import TenantError
from fabctl.adapters.fabric.tenant_records import ItemRecord
from fabctl.entrypoints.emulator.jobs import JobInstance
from fabctl.entrypoints.emulator.messages import Response, empty_response, json_response
from fabctl.entrypoints.emulator.router import Call

REFRESH = "ViaApi"  # the refreshType of a refresh started through the REST API, and its job type here


def refresh_failure(display_name: str) -> dict[str, Any]:
    return {
        "errorCode": "ModelRefreshFailed_CredentialsNotSpecified",
        "errorDescription": f"The refresh of {display_name} failed (failing_jobs or job_failure_rate knob)",
    }


def _powerbi_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def _semantic_model(call: Call) -> ItemRecord | Response:
    try:
        item = call.tenant.get_item(call["workspaceId"], call["datasetId"])
    except TenantError as e:
        return _powerbi_error(e.status, e.error_code, e.message)
    if item.type != "SemanticModel":
        return _powerbi_error(400, "InvalidRequest", f"The item {item.id} is a {item.type}, not a dataset")
    return item


def refresh_dataset(call: Call) -> Response:
    call.body(required=False)  # notifyOption; nobody is notified here
    item = _semantic_model(call)
    if isinstance(item, Response):
        return item
    options = call.options
    named = item.display_name.casefold() in {name.casefold() for name in options.failing_jobs}
    failure = refresh_failure(item.display_name) if named or call.chance(options.job_failure_rate) else None
    refresh = call.jobs.start(item.id, REFRESH, options.job_ms / 1000, failure)
    url = f"{call.request.base_url}/v1.0/myorg/groups/{call['workspaceId']}/datasets/{item.id}/refreshes/{refresh.id}"
    return empty_response(202, {"RequestId": refresh.id, "Location": url})


def refresh_history(call: Call) -> Response:
    item = _semantic_model(call)
    if isinstance(item, Response):
        return item
    latest = call.jobs.latest(item.id, REFRESH)  # only the newest is kept per answer: fabctl asks $top=1
    return json_response(200, {"value": [] if latest is None else [_entry(latest, call.jobs.now())]})


def _entry(refresh: JobInstance, now: float) -> dict[str, Any]:
    status = {"Completed": "Completed", "Failed": "Failed"}.get(refresh.status(now), "Unknown")
    entry: dict[str, Any] = {
        "requestId": refresh.id,
        "refreshType": REFRESH,
        "startTime": _utc(refresh.created),
        "status": status,
    }
    if status != "Unknown":
        entry["endTime"] = _utc(refresh.created + timedelta(seconds=refresh.duration))
    if status == "Failed" and refresh.failure is not None:
        entry["serviceExceptionJson"] = json.dumps(refresh.failure)
    return entry


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # as Power BI writes it
