"""Semantic model refreshes in the emulator (docs/emulator.md, "Item jobs"): Power BI's REST routes
`/v1.0/myorg/groups/{ws}/datasets/{id}/refreshes` beside Fabric's `/v1`; POST answers 202 with a RequestId,
the history's newest entry reads "Unknown" while it runs and then Completed, or Failed with a
serviceExceptionJson for a model the `failing_jobs` knob names; refusals have Power BI's error shape."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure

TOKEN = "token-of-alice"
POLL_BOUND_S = 10
NO_NOTIFICATION = {"notifyOption": "NoNotification"}


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    configure(fresh_emulator, lro_share=0)
    with httpx.Client(
        base_url=fresh_emulator.root, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10, trust_env=False
    ) as http:
        yield http


def _model(api: httpx.Client, name: str) -> tuple[str, str]:
    ws = api.post("/v1/workspaces", json={"displayName": f"Refresh {name}"}).json()["id"]
    parts = [
        {"path": "definition.pbism", "payload": base64.b64encode(b'{"version": "4.2"}').decode()},
        {"path": "definition/model.tmdl", "payload": base64.b64encode(b"model Model\n").decode()},
    ]
    for part in parts:
        part["payloadType"] = "InlineBase64"
    body = {"displayName": name, "type": "SemanticModel", "definition": {"parts": parts}}
    created = api.post(f"/v1/workspaces/{ws}/items", json=body)
    assert created.status_code == 201, created.text
    return ws, created.json()["id"]


def _ended(api: httpx.Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_BOUND_S
    while True:
        [latest] = api.get(url, params={"$top": "1"}).json()["value"]
        if latest["status"] != "Unknown" or time.monotonic() > deadline:
            return dict(latest)
        time.sleep(0.05)


def test_a_refresh_runs_to_completion_in_power_bis_shape(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, job_ms=600)
    ws, model = _model(api, "Sales Model")
    url = f"/v1.0/myorg/groups/{ws}/datasets/{model}/refreshes"

    started = api.post(url, json=NO_NOTIFICATION)

    assert started.status_code == 202, started.text
    assert started.content == b""
    request_id = started.headers["RequestId"]
    assert started.headers["Location"] == f"{fresh_emulator.root}{url}/{request_id}"
    [running] = api.get(url, params={"$top": "1"}).json()["value"]
    assert running["status"] == "Unknown" and "endTime" not in running
    ended = _ended(api, url)
    assert ended["requestId"] == request_id
    assert ended["refreshType"] == "ViaApi"
    assert ended["status"] == "Completed"
    assert ended["startTime"].endswith("Z") and ended["endTime"].endswith("Z")
    assert "serviceExceptionJson" not in ended


def test_a_model_the_knob_names_fails_with_a_service_exception(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, job_ms=0, failing_jobs=["sales model"])
    ws, model = _model(api, "Sales Model")
    url = f"/v1.0/myorg/groups/{ws}/datasets/{model}/refreshes"

    api.post(url, json=NO_NOTIFICATION)
    ended = _ended(api, url)

    assert ended["status"] == "Failed"
    error = json.loads(ended["serviceExceptionJson"])
    assert error["errorCode"] == "ModelRefreshFailed_CredentialsNotSpecified"
    assert "Sales Model" in error["errorDescription"]


def test_refusals_unknown_model_and_an_item_no_model(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    ws, model = _model(api, "Sales Model")
    notebook = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Load", "type": "Notebook"}).json()["id"]
    missing = "11111111-2222-3333-4444-555555555555"

    unknown = api.post(f"/v1.0/myorg/groups/{ws}/datasets/{missing}/refreshes", json=NO_NOTIFICATION)
    not_a_model = api.post(f"/v1.0/myorg/groups/{ws}/datasets/{notebook}/refreshes", json=NO_NOTIFICATION)
    api.post(f"/v1.0/myorg/groups/{ws}/datasets/{model}/refreshes", json=NO_NOTIFICATION)
    httpx.post(f"{fresh_emulator.root}/_emulator/reset", trust_env=False).raise_for_status()

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "ItemNotFound"
    assert not_a_model.status_code == 400
    assert not_a_model.json()["error"]["code"] == "InvalidRequest"
    assert "Notebook" in not_a_model.json()["error"]["message"]
    ws, model = _model(api, "Sales Model")  # reset emptied the tenant and the refresh history
    assert api.get(f"/v1.0/myorg/groups/{ws}/datasets/{model}/refreshes").json() == {"value": []}
