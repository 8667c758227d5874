"""Item jobs in the emulator (docs/emulator.md, "Item jobs"): `POST .../items/{id}/jobs/instances?jobType=...` answers
202 with a Location naming the job instance and a Retry-After; the instance has Fabric's ItemJobInstance shape
and ends Completed, or Failed with a failureReason for an item the `failing_jobs` knob names."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure

TOKEN = "token-of-alice"
POLL_BOUND_S = 10
INSTANCE_KEYS = {
    "id", "itemId", "jobType", "invokeType", "status", "failureReason", "rootActivityId", "startTimeUtc", "endTimeUtc",
}  # fmt: skip


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    configure(fresh_emulator, lro_share=0)
    with httpx.Client(
        base_url=fresh_emulator.root, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10, trust_env=False
    ) as http:
        yield http


def _item(api: httpx.Client, item_type: str, name: str) -> tuple[str, str]:
    ws = api.post("/v1/workspaces", json={"displayName": f"Jobs {name}"}).json()["id"]
    body: dict[str, Any] = {"displayName": name, "type": item_type}
    if item_type == "Notebook":
        code = base64.b64encode(b"# Fabric notebook source\nprint(1)\n").decode()
        parts = [{"path": "notebook-content.py", "payload": code, "payloadType": "InlineBase64"}]
        body["definition"] = {"parts": parts}
    created = api.post(f"/v1/workspaces/{ws}/items", json=body)
    assert created.status_code == 201, created.text
    return ws, created.json()["id"]


def _ended(api: httpx.Client, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_BOUND_S
    while True:
        instance: dict[str, Any] = api.get(location).json()
        if instance["status"] not in ("NotStarted", "InProgress") or time.monotonic() > deadline:
            return instance
        time.sleep(0.05)


def test_a_notebook_job_runs_to_completion_in_fabrics_shape(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, job_ms=600)
    ws, notebook = _item(api, "Notebook", "Load")

    started = api.post(f"/v1/workspaces/{ws}/items/{notebook}/jobs/instances?jobType=RunNotebook")

    assert started.status_code == 202, started.text
    assert started.content == b""
    location = started.headers["Location"]
    assert location.startswith(f"{fresh_emulator.root}/v1/workspaces/{ws}/items/{notebook}/jobs/instances/")
    assert started.headers["Retry-After"] == "1"  # 600 ms left, rounded up
    running = api.get(location)
    assert running.status_code == 200
    assert set(running.json()) == INSTANCE_KEYS
    assert running.json()["status"] in ("NotStarted", "InProgress")
    assert running.json()["endTimeUtc"] is None
    assert "Retry-After" in running.headers

    ended = _ended(api, location)
    assert ended["status"] == "Completed"
    assert ended["itemId"] == notebook
    assert ended["jobType"] == "RunNotebook"
    assert ended["invokeType"] == "Manual"
    assert ended["failureReason"] is None
    assert ended["id"] == location.rsplit("/", 1)[-1]
    assert ended["startTimeUtc"] is not None and ended["endTimeUtc"] is not None


def test_an_item_the_knob_names_fails_with_a_failure_reason(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, job_ms=0, failing_jobs=["load"])  # matched ignoring case, as Fabric's names are
    ws, notebook = _item(api, "Notebook", "Load")

    started = api.post(f"/v1/workspaces/{ws}/items/{notebook}/jobs/instances?jobType=RunNotebook")
    ended = _ended(api, started.headers["Location"])

    assert ended["status"] == "Failed"
    assert ended["failureReason"]["errorCode"] == "JobInstanceStatusFailed"
    assert "Load" in ended["failureReason"]["message"]


def test_a_failure_rate_of_one_fails_every_job(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, job_ms=0, job_failure_rate=1.0)
    ws, pipeline = _item(api, "DataPipeline", "Nightly")

    started = api.post(f"/v1/workspaces/{ws}/items/{pipeline}/jobs/instances?jobType=Pipeline")

    assert _ended(api, started.headers["Location"])["status"] == "Failed"


def test_refusals_unknown_item_wrong_job_type_unknown_instance(api: httpx.Client) -> None:
    ws, notebook = _item(api, "Notebook", "Load")
    missing = "11111111-2222-3333-4444-555555555555"

    unknown = api.post(f"/v1/workspaces/{ws}/items/{missing}/jobs/instances?jobType=RunNotebook")
    wrong = api.post(f"/v1/workspaces/{ws}/items/{notebook}/jobs/instances?jobType=Pipeline")
    no_instance = api.get(f"/v1/workspaces/{ws}/items/{notebook}/jobs/instances/{missing}")

    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "ItemNotFound")
    assert (wrong.status_code, wrong.json()["errorCode"]) == (400, "InvalidJobType")
    assert "RunNotebook" in wrong.json()["message"]
    assert (no_instance.status_code, no_instance.json()["errorCode"]) == (404, "EntityNotFound")


def test_the_job_knobs_are_checked(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    refused = httpx.post(f"{fresh_emulator.root}/_emulator/config", json={"job_failure_rate": 2}, trust_env=False)
    named = httpx.post(f"{fresh_emulator.root}/_emulator/config", json={"failing_jobs": "Load"}, trust_env=False)

    assert refused.status_code == 400 and "job_failure_rate must be between 0 and 1" in refused.text
    assert named.status_code == 400 and "failing_jobs must be a list" in named.text
