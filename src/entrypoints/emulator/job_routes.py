"""Item jobs (`/workspaces/{id}/items/{id}/jobs/instances`): run an on-demand job and read its instance.

Starting one answers 202 with an empty body, a `Location` naming the job instance and a `Retry-After`;
the instance is read with GET until its status is Completed, Failed or Cancelled (`jobs.py`).
"""

from __future__ import annotations

from fabctl.entrypoints.emulator.jobs import JOB_TYPES, failure_reason
from fabctl.entrypoints.emulator.messages import ApiError, Response, empty_response, json_response
from fabctl.entrypoints.emulator.router import Call


def _instance_url(call: Call, item_id: str, job_id: str) -> str:
    return f"{call.request.base_url}/v1/workspaces/{call['workspaceId']}/items/{item_id}/jobs/instances/{job_id}"


def run_on_demand_job(call: Call) -> Response:
    call.body(required=False)  # executionData is optional; fabctl sends none
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])  # 404 WorkspaceNotFound / ItemNotFound
    job_type = call.request.query.get("jobType", "")
    allowed = JOB_TYPES.get(item.type, frozenset())
    if job_type not in allowed:
        expected = ", ".join(sorted(allowed)) or "none (this item type runs no on-demand job)"
        raise ApiError(
            400,
            "InvalidJobType",
            f"The job type '{job_type}' is not valid for an item of type {item.type}; expected: {expected}",
            is_retriable=False,
        )
    options = call.options
    names = {name.casefold() for name in options.failing_jobs}
    fails = item.display_name.casefold() in names or call.chance(options.job_failure_rate)
    job = call.jobs.start(
        item.id, job_type, options.job_ms / 1000, failure_reason(item.display_name) if fails else None
    )
    headers = {"Location": _instance_url(call, item.id, job.id), "Retry-After": job.retry_after(job.started)}
    return empty_response(202, headers)


def get_job_instance(call: Call) -> Response:
    item = call.tenant.get_item(call["workspaceId"], call["itemId"])
    job = call.jobs.get(item.id, call["jobInstanceId"])
    now = call.jobs.now()
    headers = {}
    if job.status(now) in ("NotStarted", "InProgress"):
        headers["Retry-After"] = job.retry_after(now)
    return json_response(200, job.to_fabric(now), headers)
