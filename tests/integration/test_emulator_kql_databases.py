"""`GET /workspaces/{id}/kqlDatabases[/{id}]`: what fabric-cicd reads to fill a KQL queryset's or a Real-Time
dashboard's empty `clusterUri` (its KQL database's `properties.queryServiceUri`). Without the route, fabric-cicd
1.4.0 fails to publish a queryset with an empty cluster (tests/integration/test_fabric_cicd_every_type.py)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure


@pytest.fixture
def client(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    configure(fresh_emulator, lro_share=0.0)
    with httpx.Client(base_url=fresh_emulator.url, timeout=30) as http:
        yield http


def create(
    client: httpx.Client, workspace_id: str, item_type: str, name: str, parts: dict[str, Any] | None = None
) -> str:
    body: dict[str, Any] = {"displayName": name, "type": item_type}
    if parts is not None:
        encoded = [
            {"path": path, "payload": base64.b64encode(json.dumps(v).encode()).decode(), "payloadType": "InlineBase64"}
            for path, v in parts.items()
        ]
        body["definition"] = {"parts": encoded}
    response = client.post(f"/workspaces/{workspace_id}/items", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def provisioned(client: httpx.Client, path: str) -> dict[str, Any]:
    """The body once the Eventhouse's query service is there (the session emulator provisions in 0.4 s)."""
    deadline = time.monotonic() + 10
    while True:
        body: dict[str, Any] = client.get(path).json()
        if body["properties"]["queryServiceUri"] or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_a_kql_database_answers_with_its_eventhouses_query_and_ingestion_uris(client: httpx.Client) -> None:
    workspace_id = client.post("/workspaces", json={"displayName": "Real-Time"}).json()["id"]
    house = create(client, workspace_id, "Eventhouse", "House")
    properties = {"databaseType": "ReadWrite", "parentEventhouseItemId": house}
    database = create(client, workspace_id, "KQLDatabase", "Telemetry", {"DatabaseProperties.json": properties})

    body = provisioned(client, f"/workspaces/{workspace_id}/kqlDatabases/{database}")
    house_properties = provisioned(client, f"/workspaces/{workspace_id}/eventhouses/{house}")["properties"]

    assert body["id"] == database and body["type"] == "KQLDatabase" and body["displayName"] == "Telemetry"
    assert body["properties"]["parentEventhouseItemId"] == house
    assert body["properties"]["queryServiceUri"] == house_properties["queryServiceUri"]
    assert body["properties"]["queryServiceUri"].startswith("https://")
    assert body["properties"]["ingestionServiceUri"] == house_properties["ingestionServiceUri"]
    assert body["properties"]["databaseType"] == "ReadWrite"
    listed = client.get(f"/workspaces/{workspace_id}/kqlDatabases").json()["value"]
    assert [item["id"] for item in listed] == [database]
    assert listed[0]["properties"]["queryServiceUri"] == house_properties["queryServiceUri"]


def test_the_alias_sees_only_kql_databases(client: httpx.Client) -> None:
    workspace_id = client.post("/workspaces", json={"displayName": "Real-Time"}).json()["id"]
    house = create(client, workspace_id, "Eventhouse", "House")

    response = client.get(f"/workspaces/{workspace_id}/kqlDatabases/{house}")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "ItemNotFound"


def test_a_database_without_a_known_eventhouse_has_no_uris(client: httpx.Client) -> None:
    workspace_id = client.post("/workspaces", json={"displayName": "Real-Time"}).json()["id"]
    orphan = create(client, workspace_id, "KQLDatabase", "Orphan", {"DatabaseSchema.kql": ".create table T (a:int)"})

    properties = client.get(f"/workspaces/{workspace_id}/kqlDatabases/{orphan}").json()["properties"]

    assert properties["parentEventhouseItemId"] is None
    assert properties["queryServiceUri"] is None and properties["ingestionServiceUri"] is None
