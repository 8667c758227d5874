"""Environment publishing in the emulator, checked against what real Fabric answered
(docs/reference/fabric-recorded-behaviour.md, the `environments` rows; facts restated in RECORDED below).

`staging/publish` is a long-running operation; the environment's `publishDetails.state` is Running until
it ends, then Success (or Failed for an environment the `failing_publishes` knob names); a second publish
while one runs is refused. The snapshot says whether the staged definition is the published one.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure, snapshot

TOKEN = "token-of-alice"
POLL_BOUND_S = 10

# The recorded environment routes: status, headers (besides RequestId) and the response's key paths.
RECORDED: dict[str, dict[str, Any]] = {
    "GET /v1/workspaces/{id}/environments/": {
        "status": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "keys": [
            "value[].properties.publishDetails.state",
            "value[].properties.publishDetails.targetVersion",
            "value[].properties.publishDetails.startTime",
            "value[].properties.publishDetails.endTime",
            "value[].properties.publishDetails.componentPublishInfo.sparkLibraries.state",
            "value[].properties.publishDetails.componentPublishInfo.sparkSettings.state",
        ],
    },
    "POST /v1/workspaces/{id}/environments/{id}/staging/publish?beta=...": {
        "status": 202,
        "headers": {"Content-Type": "application/octet-stream"},
        "present": ["Location", "Retry-After", "x-ms-operation-id"],
        "keys": [],  # no body
    },
}

SETTINGS = b"enable_native_execution_engine: false\ndriver_cores: 4\n"
LIBRARIES = b"dependencies:\n  - pip:\n    - pandas==2.2.2\n"


def _part(path: str, data: bytes) -> dict[str, str]:
    return {"path": path, "payload": base64.b64encode(data).decode("ascii"), "payloadType": "InlineBase64"}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value, `[]` marking list elements (as the recorded table writes them)."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found |= {path} | key_paths(inner, path)
        return found
    if isinstance(value, list):
        return set().union(*(key_paths(element, prefix + "[]") for element in value)) if value else set()
    return set()


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    configure(fresh_emulator, lro_share=0)  # creates answer at once: these tests are about publishing
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=fresh_emulator.root, headers=headers, timeout=10, trust_env=False) as http:
        yield http


def _workspace_with_environment(api: httpx.Client, name: str = "Spark") -> tuple[str, str]:
    workspace = api.post("/v1/workspaces", json={"displayName": "Environments"})
    assert workspace.status_code == 201, workspace.text
    ws = workspace.json()["id"]
    parts = [_part("Setting/Sparkcompute.yml", SETTINGS), _part("Libraries/PublicLibraries/environment.yml", LIBRARIES)]
    created = api.post(
        f"/v1/workspaces/{ws}/items",
        json={"displayName": name, "type": "Environment", "definition": {"parts": parts}},
    )
    assert created.status_code == 201, created.text
    return ws, created.json()["id"]


def _publish(api: httpx.Client, ws: str, environment_id: str) -> httpx.Response:
    # As fabric-cicd sends it: `?beta=False` and the JSON string "{}" as body.
    return api.post(f"/v1/workspaces/{ws}/environments/{environment_id}/staging/publish?beta=False", json="{}")


def _details(api: httpx.Client, ws: str, environment_id: str) -> dict[str, Any]:
    got = api.get(f"/v1/workspaces/{ws}/environments/{environment_id}")
    assert got.status_code == 200, got.text
    details: dict[str, Any] = got.json()["properties"]["publishDetails"]
    return details


def _finished(api: httpx.Client, location: str) -> dict[str, Any]:
    """The operation's state once it is no longer running (polled with a bound)."""
    deadline = time.monotonic() + POLL_BOUND_S
    while True:
        state: dict[str, Any] = api.get(location).json()
        if state["status"] not in ("NotStarted", "Running") or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def _published_flag(emulator: RunningEmulator, environment_id: str) -> dict[str, Any]:
    for workspace in snapshot(emulator)["workspaces"]:
        for item in workspace["items"]:
            if item["id"] == environment_id:
                publish: dict[str, Any] = item["publish"]
                return publish
    raise AssertionError(f"environment {environment_id} is not in the snapshot")


def test_publish_is_a_long_running_operation_as_recorded(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, publish_ms=600, publish_retry_after_s=7)
    ws, environment_id = _workspace_with_environment(api)
    before = _published_flag(fresh_emulator, environment_id)

    published = _publish(api, ws, environment_id)
    running = _details(api, ws, environment_id)
    again = _publish(api, ws, environment_id)
    state = _finished(api, published.headers["Location"])
    listed = api.get(f"/v1/workspaces/{ws}/environments/")

    recorded = RECORDED["POST /v1/workspaces/{id}/environments/{id}/staging/publish?beta=..."]
    assert published.status_code == recorded["status"]
    assert published.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    assert all(published.headers.get(name) for name in recorded["present"])
    assert published.headers["Retry-After"] == "7"  # the knob: Fabric sent 120
    assert published.headers["Location"].endswith("/v1/operations/" + published.headers["x-ms-operation-id"])
    assert published.content == b""
    assert running["state"] == "Running" and "endTime" not in running
    assert running["componentPublishInfo"] == {
        "sparkLibraries": {"state": "Running"},
        "sparkSettings": {"state": "Running"},
    }
    assert (again.status_code, again.json()["errorCode"]) == (409, "EnvironmentPublishInProgress")
    assert state["status"] == "Succeeded"
    recorded_list = RECORDED["GET /v1/workspaces/{id}/environments/"]
    assert listed.status_code == recorded_list["status"]
    assert listed.headers["Content-Type"] == recorded_list["headers"]["Content-Type"]
    assert set(recorded_list["keys"]) <= key_paths(listed.json())
    [environment] = listed.json()["value"]
    assert (environment["id"], environment["type"], environment["displayName"]) == (
        environment_id,
        "Environment",
        "Spark",
    )
    done = environment["properties"]["publishDetails"]
    assert done["state"] == "Success" and done["targetVersion"] == running["targetVersion"]
    assert done["componentPublishInfo"] == {
        "sparkLibraries": {"state": "Success"},
        "sparkSettings": {"state": "Success"},
    }
    assert done["startTime"] == running["startTime"] < done["endTime"]
    assert before == {"state": "Success", "stagedChanged": True}  # created: its definition only staged
    assert _published_flag(fresh_emulator, environment_id) == {"state": "Success", "stagedChanged": False}


def test_a_publish_the_fault_knob_names_fails_and_publishes_nothing(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, failing_publishes=["spark"])  # display names, in any case
    ws, environment_id = _workspace_with_environment(api)

    published = _publish(api, ws, environment_id)
    state = _finished(api, published.headers["Location"])

    assert published.status_code == 202
    assert state["status"] == "Failed" and state["error"]["errorCode"] == "EnvironmentPublishFailed"
    details = _details(api, ws, environment_id)
    assert details["state"] == "Failed" and "endTime" in details
    assert details["componentPublishInfo"]["sparkSettings"] == {"state": "Failed"}
    assert _published_flag(fresh_emulator, environment_id) == {"state": "Failed", "stagedChanged": True}

    configure(fresh_emulator, failing_publishes=[])
    retried = _publish(api, ws, environment_id)  # a failed publish does not block the next one
    assert _finished(api, retried.headers["Location"])["status"] == "Succeeded"
    assert _published_flag(fresh_emulator, environment_id) == {"state": "Success", "stagedChanged": False}


def test_changing_the_staged_definition_leaves_it_unpublished_until_the_next_publish(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    ws, environment_id = _workspace_with_environment(api)
    assert _finished(api, _publish(api, ws, environment_id).headers["Location"])["status"] == "Succeeded"

    changed = [_part("Setting/Sparkcompute.yml", SETTINGS + b"executor_cores: 8\n")]
    updated = api.post(
        f"/v1/workspaces/{ws}/items/{environment_id}/updateDefinition", json={"definition": {"parts": changed}}
    )

    assert updated.status_code == 200, updated.text
    assert _published_flag(fresh_emulator, environment_id) == {"state": "Success", "stagedChanged": True}


def test_only_environments_have_the_environment_routes(api: httpx.Client) -> None:
    ws, _ = _workspace_with_environment(api)
    notebook = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Load", "type": "Notebook"}).json()

    published = _publish(api, ws, notebook["id"])
    got = api.get(f"/v1/workspaces/{ws}/environments/{notebook['id']}")
    listed = api.get(f"/v1/workspaces/{ws}/environments")

    assert (published.status_code, published.json()["errorCode"]) == (404, "ItemNotFound")
    assert (got.status_code, got.json()["errorCode"]) == (404, "ItemNotFound")
    assert [e["type"] for e in listed.json()["value"]] == ["Environment"]
