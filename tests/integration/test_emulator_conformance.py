"""The emulator against what real Fabric answered (docs/reference/fabric-recorded-behaviour.md, restated
as data in tests/support/recorded_fabric.py): every recorded route, called as fabric-cicd calls it
(its headers, its bodies, the JSON string "{}" on GETs), answers with the recorded status, key paths
and headers; every item type is created with the recorded 201 or 202.

The emulator here runs with its defaults (the recorded profile: Retry-After 20 on creates): nothing in
this module honours a Retry-After, it only reads it. So the route tests turn off the recorded profile's
refusal of early polls, and the last tests of this module turn it back on and show it (ADR 0029).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure, requests_log, reset, running_emulator
from key_paths import every_missing
from recorded_fabric import (
    CREATE_201_HEADERS,
    CREATE_202_HEADERS,
    CREATED_AT_ONCE,
    CREATED_BARE,
    CREATED_LONG_RUNNING,
    DEFINITION_PARTS,
    FABRIC_CICD_HEADERS,
    LABELLED_ON_CREATE,
    PRESENT,
    RECORDED_ROUTES,
    RecordedRoute,
)

from fabctl.domain.item_types import KNOWN_ITEM_TYPES

OPERATION_BOUND_S = 10.0  # how long an operation of --lro-ms 200 may take to be seen Succeeded
EMPTY_TYPE = "application/octet-stream"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator with the recorded profile (its defaults); provisioning is instant so that the
    provisioned keys hold values (their presence is checked either way)."""
    workdir: Path = tmp_path_factory.mktemp("recorded")
    with running_emulator("--profile", "recorded", "--sql-endpoint-ms", "0", tmp_path=workdir) as emulator:
        yield emulator


def _client(emulator: RunningEmulator) -> httpx.Client:
    headers = {**FABRIC_CICD_HEADERS, "Authorization": "Bearer conformance"}
    return httpx.Client(base_url=emulator.root, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def ids(recorded: RunningEmulator) -> dict[str, str]:
    """The module's tenant, built once: the route tests only read it (or add to it)."""
    reset(recorded)
    configure(recorded, refuse_early_polls=False)  # it polls at once
    with _client(recorded) as api:
        return tenant(api, recorded)


@pytest.fixture
def client(recorded: RunningEmulator) -> Iterator[httpx.Client]:
    # A publish ends at once (its Retry-After stays the recorded 120): the list always shows an ended one.
    # Polls come at once, sooner than the recorded Retry-After: allowed here, refused in the last tests.
    knobs = {"create_retry_after_s": 20, "publish_ms": 0, "publish_retry_after_s": 120, "refuse_early_polls": False}
    configure(recorded, lro_ms=200, lro_share=1.0, **knobs)
    with _client(recorded) as api:
        yield api


def _send(api: httpx.Client, method: str, url: str, body: Any) -> httpx.Response:
    # As fabric-cicd does: requests' json=body, so a GET carries the JSON string "{}".
    return api.request(method, url, content=json.dumps(body).encode("utf-8"))


def _platform(item_type: str, name: str) -> str:
    document = {
        "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
        "metadata": {"type": item_type, "displayName": name},
        "config": {"version": "2.0", "logicalId": "00000000-0000-0000-0000-000000000000"},
    }
    return json.dumps(document)


def _definition(item_type: str, name: str, ids: dict[str, str]) -> dict[str, Any]:
    files = {**DEFINITION_PARTS[item_type], ".platform": _platform(item_type, name)}
    parts = []
    for path, text in files.items():
        for placeholder, value in ids.items():
            text = text.replace("{" + placeholder + "}", value)
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        parts.append({"path": path, "payload": payload, "payloadType": "InlineBase64"})
    return {"parts": parts}


def create_body(item_type: str, name: str, ids: dict[str, str]) -> dict[str, Any]:
    """The create body fabric-cicd sends for `item_type`: bare for its shell types (a schema-enabled
    Lakehouse with its creationPayload), else with the item's definition."""
    body: dict[str, Any] = {"displayName": name, "type": item_type, "description": "", "folderId": ""}
    if item_type == "Lakehouse":
        body["creationPayload"] = {"enableSchemas": True}
    elif item_type not in CREATED_BARE:
        body["definition"] = _definition(item_type, name, ids)
    return body


def _finished(api: httpx.Client, operation_url: str) -> httpx.Response:
    """Poll `operation_url` until the operation ended (bounded), without honouring Retry-After."""
    deadline = time.monotonic() + OPERATION_BOUND_S
    while True:
        state = api.get(operation_url)
        if state.json()["status"] in ("Succeeded", "Failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def create(api: httpx.Client, ws: str, item_type: str, name: str, ids: dict[str, str]) -> str:
    """Create an item as fabric-cicd does, following a 202 to its result; the item's id."""
    created = _send(api, "POST", f"/v1/workspaces/{ws}/items", create_body(item_type, name, ids))
    assert created.status_code in (201, 202), created.text
    if created.status_code == 201:
        return str(created.json()["id"])
    done = _finished(api, created.headers["Location"])
    assert done.json()["status"] == "Succeeded", done.text
    return str(api.get(done.headers["Location"]).json()["id"])


def tenant(api: httpx.Client, recorded: RunningEmulator) -> dict[str, str]:
    """One of everything the recorded routes read, and the ids that fill their placeholders."""
    capacity = api.get("/v1/capacities").json()["value"][0]["id"]
    ws = api.post("/v1/workspaces", json={"displayName": "Recorded", "capacityId": capacity}).json()["id"]
    ids = {"workspaceId": ws}
    folder = api.post(f"/v1/workspaces/{ws}/folders", json={"displayName": "Sub"}).json()["id"]
    for placeholder, item_type in (
        ("lakehouseId", "Lakehouse"),
        ("warehouseId", "Warehouse"),
        ("sqlDatabaseId", "SQLDatabase"),
        ("mirroredDatabaseId", "MirroredDatabase"),
        ("eventhouseId", "Eventhouse"),
        ("kqlDatabaseId", "KQLDatabase"),
        ("variableLibraryId", "VariableLibrary"),
        ("environmentId", "Environment"),
    ):
        ids[placeholder] = create(api, ws, item_type, f"Recorded {item_type}", ids)
    ids["elsewhereId"] = "5d2c6f0e-8b1a-4c3d-9e7f-a1b2c3d4e5f6"  # nothing in this tenant has it
    lakehouse = f"/v1/workspaces/{ws}/items/{ids['lakehouseId']}"
    own_files = {"oneLake": {"workspaceId": ws, "itemId": ids["lakehouseId"], "path": "Files"}}
    shortcut = _send(api, "POST", f"{lakehouse}/shortcuts", {"path": "Files", "name": "Own", "target": own_files})
    assert shortcut.status_code == 201, shortcut.text
    moved = _send(api, "POST", f"/v1/workspaces/{ws}/items/{ids['lakehouseId']}/move", {"targetFolderId": folder})
    assert moved.status_code == 200, moved.text
    connection = {"displayName": "Sales SQL", "connectionDetails": {"type": "SQL", "path": "srv.sales;db"}}
    seeded = httpx.post(f"{recorded.admin}/connections", json=connection)
    assert seeded.status_code == 201, seeded.text

    configure(recorded, lro_ms=200)
    finished = _send(api, "POST", f"/v1/workspaces/{ws}/items", create_body("Notebook", "Finished", ids))
    configure(recorded, lro_ms=600_000)  # still running whenever the suite looks at it
    running = _send(api, "POST", f"/v1/workspaces/{ws}/items", create_body("Notebook", "Running", ids))
    ids["runningOperationId"] = running.headers["x-ms-operation-id"]
    ids["finishedOperationId"] = finished.headers["x-ms-operation-id"]
    assert _finished(api, finished.headers["Location"]).json()["status"] == "Succeeded"
    return ids


def _with_ids(body: Any, ids: dict[str, str]) -> Any:
    """`body` with the placeholders in its strings filled (fabric-cicd's "{}" has none)."""
    if isinstance(body, dict):
        return {k: _with_ids(v, ids) for k, v in body.items()}
    if isinstance(body, str) and body.startswith("{") and body.endswith("Id}"):
        return ids[body[1:-1]]
    return body


def _filled(path: str, ids: dict[str, str]) -> str:
    for placeholder, value in ids.items():
        path = path.replace("{" + placeholder + "}", value)
    assert "{" not in path, f"the suite's tenant has no id for {path}"
    return path


def _header_mismatches(response: httpx.Response, expected: dict[str, str], content_type: str) -> list[str]:
    wanted = {**expected, "Content-Type": content_type}
    found = []
    for name, value in wanted.items():
        got = response.headers.get(name)
        if got is None or (value != PRESENT and got != value):
            found.append(f"{name}: expected {value!r}, got {got!r}")
    return found


@pytest.mark.parametrize("route", RECORDED_ROUTES, ids=[r.route for r in RECORDED_ROUTES])
def test_a_recorded_route_answers_as_fabric_did(
    recorded: RunningEmulator, ids: dict[str, str], client: httpx.Client, route: RecordedRoute
) -> None:
    body = _with_ids(route.body, ids)
    response = _send(client, route.method, _filled(route.path, ids), body)

    assert response.status_code == route.status, response.text
    assert _header_mismatches(response, route.headers, route.content_type) == []
    if route.key_paths:
        assert every_missing(response.json(), route.key_paths) == []
    else:
        assert response.content == b""
    location = response.headers.get("Location")
    if route.route == "POST /v1/workspaces/{id}/folders":
        assert location == f"{recorded.url}/workspaces/{ids['workspaceId']}/folders/{response.json()['id']}"
    if route.route == "GET /v1/operations/{id}":
        assert response.json()["status"] in ("NotStarted", "Running")
        assert location == f"{recorded.url}/operations/{ids['runningOperationId']}"
        assert response.headers["x-ms-operation-id"] == ids["runningOperationId"]


def test_every_recorded_route_is_in_the_fixture() -> None:
    # Restated from the reference's per-route table.
    recorded_rows = {
        "GET /v1/workspaces/{id}",
        "GET /v1/workspaces/{id}/items",
        "GET /v1/workspaces/{id}/folders",
        "POST /v1/workspaces/{id}/folders",
        "GET /v1/workspaces/{id}/lakehouses/{id}",
        "GET /v1/workspaces/{id}/warehouses/{id}",
        "GET /v1/workspaces/{id}/sqldatabases/{id}",
        "GET /v1/workspaces/{id}/mirroreddatabases/{id}",
        "GET /v1/workspaces/{id}/eventhouses/{id}",
        "GET /v1/workspaces/{id}/kqlDatabases/{id}",
        "PATCH /v1/workspaces/{id}/VariableLibraries/{id}",
        "GET /v1/workspaces/{id}/environments/",
        "POST /v1/workspaces/{id}/environments/{id}/staging/publish?beta=...",
        "GET /v1/workspaces/{id}/items/{id}/shortcuts",
        "POST /v1/workspaces/{id}/items/{id}/shortcuts?shortcutConflictPolicy=...",
        "GET /v1/connections",
        "GET /v1/operations/{id}",
        "GET /v1/operations/{id}/result",
    }
    assert recorded_rows <= {r.route for r in RECORDED_ROUTES}


# --- creating items: 201 or 202 per type -------------------------------------------------------------


@pytest.mark.parametrize("item_type", CREATED_AT_ONCE)
def test_a_create_recorded_as_201_answers_at_once_with_the_item(client: httpx.Client, item_type: str) -> None:
    ids = _workspace_for(client, item_type)
    created = _send(client, "POST", f"/v1/workspaces/{ids['workspaceId']}/items", create_body(item_type, "New", ids))

    assert created.status_code == 201, created.text
    assert _header_mismatches(created, CREATE_201_HEADERS, "application/json; charset=utf-8") == []
    assert every_missing(created.json(), "id, type, displayName, description, workspaceId") == []
    assert ("sensitivityLabel" in created.json()) == (item_type in LABELLED_ON_CREATE)


@pytest.mark.parametrize("item_type", CREATED_LONG_RUNNING)
def test_a_create_recorded_as_202_is_a_long_running_operation(
    recorded: RunningEmulator, client: httpx.Client, item_type: str
) -> None:
    ids = _workspace_for(client, item_type)
    accepted = _send(client, "POST", f"/v1/workspaces/{ids['workspaceId']}/items", create_body(item_type, "New", ids))

    assert accepted.status_code == 202, accepted.text
    assert _header_mismatches(accepted, CREATE_202_HEADERS, EMPTY_TYPE) == []
    assert accepted.content == b""
    assert accepted.headers["Location"] == f"{recorded.url}/operations/{accepted.headers['x-ms-operation-id']}"
    done = _finished(client, accepted.headers["Location"])
    result = client.get(done.headers["Location"])
    assert (result.status_code, result.headers["Content-Type"]) == (200, "application/json")
    assert every_missing(result.json(), "id, type, displayName, description, workspaceId") == []
    assert ("sensitivityLabel" in result.json()) == (item_type in LABELLED_ON_CREATE)


def test_the_create_table_covers_every_type_fabric_cicd_deploys_that_the_recording_shows() -> None:
    assert set(CREATED_AT_ONCE).isdisjoint(CREATED_LONG_RUNNING)
    assert set(CREATED_AT_ONCE) | set(CREATED_LONG_RUNNING) <= KNOWN_ITEM_TYPES


def _workspace_for(api: httpx.Client, item_type: str) -> dict[str, str]:
    """A workspace of its own for creating `item_type` (with the eventhouse a KQL database names)."""
    capacity = api.get("/v1/capacities").json()["value"][0]["id"]
    body = {"displayName": f"Creates {item_type}", "capacityId": capacity}
    ids = {"workspaceId": str(api.post("/v1/workspaces", json=body).json()["id"])}
    if item_type == "KQLDatabase":
        ids["eventhouseId"] = create(api, ids["workspaceId"], "Eventhouse", "Parent", ids)
    return ids


# --- polling sooner than the Retry-After: throttled (ADR 0029) ------------------------------------------


@pytest.fixture
def refusing(client: httpx.Client, recorded: RunningEmulator) -> httpx.Client:
    """The recorded profile as `fabctl emulator serve` starts it: an early poll is refused."""
    configure(recorded, refuse_early_polls=True)
    return client


def test_a_poll_sooner_than_the_recorded_retry_after_is_throttled_with_the_wait_left(
    recorded: RunningEmulator, ids: dict[str, str], refusing: httpx.Client
) -> None:
    before = requests_log(recorded)
    body = create_body("Notebook", "Polled early", ids)
    accepted = _send(refusing, "POST", f"/v1/workspaces/{ids['workspaceId']}/items", body)
    early = _send(refusing, "GET", accepted.headers["Location"], {})
    early_result = _send(refusing, "GET", accepted.headers["Location"] + "/result", {})
    # The same principal on the same connection at once: an early poll's 429 holds back only its operation.
    listed = _send(refusing, "GET", f"/v1/workspaces/{ids['workspaceId']}/items", {})
    after = requests_log(recorded)

    assert (accepted.status_code, accepted.headers["Retry-After"]) == (202, "20")
    for refused in (early, early_result):
        assert refused.status_code == 429, refused.text
        assert refused.headers["Content-Type"] == "application/json; charset=utf-8"
        assert refused.headers["x-ms-public-api-error-code"] == "RequestBlocked"
        assert refused.headers.get("RequestId")
        assert 1 <= int(refused.headers["Retry-After"]) <= 20  # what is left of the 202's 20 s
        assert every_missing(refused.json(), "requestId, errorCode, message") == []
        assert refused.json()["errorCode"] == "RequestBlocked"
        assert refused.json()["message"].startswith("Request is blocked by the upstream service until: ")
    assert listed.status_code == 200, listed.text
    assert after["earlyPolls"] - before["earlyPolls"] == 2
    assert after["throttled"] - before["throttled"] == 2
    assert after["earlyRetries"] == before["earlyRetries"]
