"""The Fabric gateway contract over HTTP: `HttpxFabricGateway` against `fabctl emulator serve`.

One emulator process for the module, reset before every test. Long-running operations are on for
half of the calls that may be long-running (seeded, so the same calls every run) and take no time,
so both the synchronous and the 202 + polling paths run without slowing the suite down.

Below the contract: the gateway's calls beyond the port, checked against what the REST reference
(§7, §8) says the service answers.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from emulator_process import RunningEmulator, configure, requests_log, reset, running_emulator
from fabric_gateway_contract import ENVIRONMENT, NOTEBOOK, UNKNOWN_ID, FabricGatewayContract
from pools_and_connections_contract import MODEL, PoolsAndConnectionsContract

from fabctl.adapters.fabric.http.errors import FabricNotFound, FabricOperationFailed
from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.application.ports import FabricGateway, RemoteItem

ADMIN_ID = "local-user"  # the principal the emulator's tenant makes admin of a new workspace
USER_ID = "3c9a1f7e-52b4-4d0a-9e8f-6b1d2c3a4e5f"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


@pytest.fixture
def http_gateway(emulator: RunningEmulator) -> Iterator[HttpxFabricGateway]:
    configure(emulator, lro_ms=0, lro_share=0.5, seed=7, fault_rate=0.0, throttle_rpm=0, page_size=0)
    reset(emulator)
    with HttpxFabricGateway(emulator.url, max_retries=2, retry_backoff_s=0.01, lro_poll_interval_s=0.01) as gateway:
        yield gateway


class TestHttpxFabricGatewayAgainstTheEmulator(FabricGatewayContract):
    @pytest.fixture
    def gateway(self, http_gateway: HttpxFabricGateway) -> FabricGateway:
        return http_gateway


# --- beyond the port ------------------------------------------------------------------------------


def test_errors_name_the_http_call_and_carry_the_request_id(http_gateway: HttpxFabricGateway) -> None:
    workspace = http_gateway.create_workspace("Errors")

    with pytest.raises(FabricNotFound) as raised:
        http_gateway.delete_item(workspace.id, UNKNOWN_ID)

    error = raised.value
    url = f"{http_gateway.base_url}/workspaces/{workspace.id}/items/{UNKNOWN_ID}"
    assert (error.method, error.url, error.status, error.error_code) == ("DELETE", url, 404, "ItemNotFound")
    assert error.request_id
    assert f"DELETE {url}" in str(error)
    assert error.request_id in str(error)


def test_a_workspace_is_renamed_moved_to_a_capacity_and_deleted(http_gateway: HttpxFabricGateway) -> None:
    workspace = http_gateway.create_workspace("Before")
    [capacity, *_] = http_gateway.list_capacities()

    renamed = http_gateway.update_workspace(workspace.id, name="After", description="Renamed")
    http_gateway.assign_to_capacity(workspace.id, capacity.id)

    assert renamed.name == "After"
    assert http_gateway.get_workspace(workspace.id).capacity_id == capacity.id
    assert capacity.name
    http_gateway.delete_workspace(workspace.id)
    assert http_gateway.find_workspace("After") is None
    with pytest.raises(FabricNotFound):
        http_gateway.get_workspace(workspace.id)


def test_role_assignments_are_added_and_listed_with_the_principal_id_as_their_id(
    http_gateway: HttpxFabricGateway,
) -> None:
    workspace = http_gateway.create_workspace("Roles")

    added = http_gateway.add_role_assignment(workspace.id, USER_ID, "user", "member")

    assert (added.id, added.principal_id, added.principal_type, added.role) == (USER_ID, USER_ID, "User", "Member")
    assert added in http_gateway.list_role_assignments(workspace.id)
    assert len(http_gateway.list_role_assignments(workspace.id)) == 2  # the creator is the Admin


def test_items_are_got_filtered_by_type_and_moved_between_folders(http_gateway: HttpxFabricGateway) -> None:
    workspace = http_gateway.create_workspace("Items")
    notebook = http_gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK)
    lakehouse = http_gateway.create_item(workspace.id, "Lakehouse", "Bronze")
    folder = http_gateway.create_folder(workspace.id, "Ingest")

    assert http_gateway.get_item(workspace.id, notebook.id) == notebook
    assert http_gateway.list_items(workspace.id, "Lakehouse") == [lakehouse]
    moved = http_gateway.move_item(workspace.id, notebook.id, folder.id)
    assert moved == RemoteItem(notebook.id, "Notebook", "Load", "", folder.id)
    assert http_gateway.move_item(workspace.id, notebook.id) == notebook


def test_a_lakehouse_sql_endpoint_is_provisioned_a_moment_after_the_lakehouse(
    http_gateway: HttpxFabricGateway,
) -> None:
    workspace = http_gateway.create_workspace("Lakehouses")
    lakehouse = http_gateway.create_item(workspace.id, "Lakehouse", "Silver")

    deadline = time.monotonic() + 10
    endpoint = http_gateway.get_lakehouse_sql_endpoint(workspace.id, lakehouse.id)
    assert endpoint is not None
    while endpoint.provisioning_status != "Success" and time.monotonic() < deadline:
        time.sleep(0.1)
        endpoint = http_gateway.get_lakehouse_sql_endpoint(workspace.id, lakehouse.id)
        assert endpoint is not None

    assert endpoint.provisioning_status == "Success"
    assert endpoint.id
    assert endpoint.connection_string


def test_definitions_are_sent_as_inline_base64_parts(
    emulator: RunningEmulator, http_gateway: HttpxFabricGateway
) -> None:
    workspace = http_gateway.create_workspace("Wire format")
    item = http_gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK)

    # Read back with a plain client: the stored parts are exactly what the gateway sent.
    with httpx.Client(base_url=emulator.url + "/", timeout=30) as plain:
        started = plain.post(f"workspaces/{workspace.id}/items/{item.id}/getDefinition")
        if started.status_code == 202:
            location = started.headers["Location"]
            while plain.get(location).json()["status"] not in ("Succeeded", "Failed"):
                time.sleep(0.01)
            started = plain.get(f"{location}/result")
    parts = {p["path"]: p for p in started.json()["definition"]["parts"]}

    [content] = NOTEBOOK.parts
    assert parts[content.path]["payloadType"] == "InlineBase64"
    assert base64.b64decode(parts[content.path]["payload"]) == content.payload
    assert json.loads(base64.b64decode(parts[".platform"]["payload"]))["metadata"]["displayName"] == "Load"


# --- spark pools, connections, semantic model bindings --------------------------------------------


class _EmulatorSeeder:
    """Seeds through the admin surface; reads bindings back through the API's own item connections."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator

    def _seed(self, path: str, body: dict[str, object]) -> str:
        response = httpx.post(f"{self.emulator.admin}/{path}", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def add_pool(self, workspace_id: str, name: str, pool_type: str) -> str:
        return self._seed("spark-pools", {"workspaceId": workspace_id, "name": name, "type": pool_type})

    def add_connection(self, name: str, kind: str, path: str, connectivity: str = "ShareableCloud") -> str:
        body = {
            "displayName": name,
            "connectivityType": connectivity,
            "connectionDetails": {"type": kind, "path": path},
        }
        return self._seed("connections", body)

    def bound_connections(self, workspace_id: str, model_id: str) -> list[str]:
        response = httpx.get(f"{self.emulator.url}/workspaces/{workspace_id}/items/{model_id}/connections", timeout=30)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["value"] if c["id"] is not None]


class TestHttpxPoolsAndConnectionsAgainstTheEmulator(PoolsAndConnectionsContract):
    @pytest.fixture
    def gateway(self, http_gateway: HttpxFabricGateway) -> FabricGateway:
        return http_gateway

    @pytest.fixture
    def seeder(self, emulator: RunningEmulator) -> _EmulatorSeeder:
        return _EmulatorSeeder(emulator)


def test_pools_and_connections_are_read_across_pages(
    http_gateway: HttpxFabricGateway, emulator: RunningEmulator
) -> None:
    configure(emulator, page_size=1)
    seeder = _EmulatorSeeder(emulator)
    workspace = http_gateway.create_workspace("Paged")
    pools = {seeder.add_pool(workspace.id, f"Pool {n}", "Workspace") for n in range(3)}
    connections = {seeder.add_connection(f"Connection {n}", "SQL", f"srv;db{n}") for n in range(3)}

    assert pools < {p.id for p in http_gateway.list_spark_pools(workspace.id)}
    assert {c.id for c in http_gateway.list_connections()} == connections
    assert requests_log(emulator)["byRoute"]["GET /v1/connections"] == 3


def test_bind_connection_sends_the_connection_and_its_details(
    http_gateway: HttpxFabricGateway, emulator: RunningEmulator
) -> None:
    seeder = _EmulatorSeeder(emulator)
    workspace = http_gateway.create_workspace("Bound")
    model = http_gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
    lake = seeder.add_connection("Lake", "AzureDataLakeStorage", "https://onelake.dfs.fabric.microsoft.com/ws")
    connection = next(c for c in http_gateway.list_connections() if c.id == lake)

    http_gateway.bind_semantic_model_connection(workspace.id, model.id, connection)

    listed = httpx.get(f"{emulator.url}/workspaces/{workspace.id}/items/{model.id}/connections", timeout=30).json()
    assert listed["value"] == [
        {
            "id": lake,
            "displayName": "Lake",
            "connectivityType": "ShareableCloud",
            "connectionDetails": {
                "type": "AzureDataLakeStorage",
                "path": "https://onelake.dfs.fabric.microsoft.com/ws",
            },
        }
    ]


def test_bind_connection_refuses_details_that_are_not_the_connections(
    http_gateway: HttpxFabricGateway, emulator: RunningEmulator
) -> None:
    seeder = _EmulatorSeeder(emulator)
    workspace = http_gateway.create_workspace("Mismatch")
    model = http_gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
    sql = seeder.add_connection("Sales SQL", "SQL", "srv;sales")
    body = {"connectionBinding": {"id": sql, "connectivityType": "ShareableCloud",
                                  "connectionDetails": {"type": "SQL", "path": "other;db"}}}  # fmt: skip

    response = httpx.post(
        f"{emulator.url}/workspaces/{workspace.id}/semanticModels/{model.id}/bindConnection", json=body, timeout=30
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "BindConnectionDetailNotFound"
    assert seeder.bound_connections(workspace.id, model.id) == []


def test_a_publish_waits_what_retry_after_asks_and_a_failed_one_raises(emulator: RunningEmulator) -> None:
    configure(emulator, lro_share=0, publish_ms=50, publish_retry_after_s=3, failing_publishes=["Broken"])
    reset(emulator)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # records what is asked, waits only long enough for the publish to end
        waits.append(seconds)
        time.sleep(0.06)

    try:
        with HttpxFabricGateway(emulator.url, max_retries=0, sleep=sleep) as gateway:
            workspace = gateway.create_workspace("Publishing")
            spark = gateway.create_item(workspace.id, "Environment", "Spark", definition=ENVIRONMENT)
            broken = gateway.create_item(workspace.id, "Environment", "Broken", definition=ENVIRONMENT)

            gateway.publish_environment(workspace.id, spark.id)
            first_wait = waits[0]
            with pytest.raises(FabricOperationFailed) as failed:
                gateway.publish_environment(workspace.id, broken.id)
            broken_state = gateway.get_environment_publish_state(workspace.id, broken.id)
    finally:
        configure(emulator, publish_ms=0, publish_retry_after_s=0, failing_publishes=[])

    assert first_wait == 3.0  # the 202's Retry-After, before the first poll
    assert failed.value.error_code == "EnvironmentPublishFailed"
    assert broken_state == "Failed"
    calls = requests_log(emulator)["byRoute"]
    assert calls["POST /v1/workspaces/{workspaceId}/environments/{itemId}/staging/publish"] == 2
