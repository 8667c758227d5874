"""The Fabric gateway contract, run against the in-process gateway over a tenant in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fabric_gateway_contract import UNKNOWN_ID, FabricGatewayContract
from pools_and_connections_contract import PoolsAndConnectionsContract

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.application.errors import GatewayError, ItemNotFound
from fabctl.application.ports import FabricGateway
from fabctl.domain.definition import DefinitionPart, ItemDefinition


class TestLocalFabricGatewayInMemory(FabricGatewayContract):
    @pytest.fixture
    def gateway(self) -> Iterator[FabricGateway]:
        with FabricTenant.in_memory() as tenant:
            yield LocalFabricGateway(tenant)


class TestLocalFabricGatewayOnFile(FabricGatewayContract):
    @pytest.fixture
    def gateway(self, tmp_path: Path) -> Iterator[FabricGateway]:
        with FabricTenant.at(tmp_path / "state" / "tenant.db") as tenant:
            yield LocalFabricGateway(tenant)


def test_errors_name_the_local_call_and_keep_the_tenant_error_as_cause() -> None:
    with FabricTenant.in_memory() as tenant:
        gateway = LocalFabricGateway(tenant)
        workspace = gateway.create_workspace("Dev")

        with pytest.raises(ItemNotFound) as raised:
            gateway.delete_item(workspace.id, UNKNOWN_ID)

    error = raised.value
    assert (error.method, error.url) == (
        "local",
        f"local://workspaces/{workspace.id}/items/{UNKNOWN_ID}",
    )
    assert isinstance(error.__cause__, TenantError)
    assert str(error) == (
        f"ItemNotFound: The requested item was not found. (local local://workspaces/{workspace.id}/items/{UNKNOWN_ID})"
    )


class _TenantSeeder:
    def __init__(self, tenant: FabricTenant) -> None:
        self.tenant = tenant

    def add_pool(self, workspace_id: str, name: str, pool_type: str) -> str:
        return self.tenant.create_spark_pool(workspace_id, name, pool_type).id

    def add_connection(self, name: str, kind: str, path: str, connectivity: str = "ShareableCloud") -> str:
        return self.tenant.create_connection(name, kind, path, connectivity).id

    def bound_connections(self, workspace_id: str, model_id: str) -> list[str]:
        return [c.id for c in self.tenant.list_item_connections(workspace_id, model_id) if c.id is not None]


class TestLocalPoolsAndConnections(PoolsAndConnectionsContract):
    @pytest.fixture
    def tenant(self, tmp_path: Path) -> Iterator[FabricTenant]:
        with FabricTenant.at(tmp_path / "tenant.db") as tenant:
            yield tenant

    @pytest.fixture
    def gateway(self, tenant: FabricTenant) -> FabricGateway:
        return LocalFabricGateway(tenant)

    @pytest.fixture
    def seeder(self, tenant: FabricTenant) -> _TenantSeeder:
        return _TenantSeeder(tenant)


MODEL = ItemDefinition.of(
    [DefinitionPart.from_text("definition.pbism", '{"version": "4.2"}'), DefinitionPart.from_text("model.bim", "{}")]
)


def test_a_refresh_completes_at_once_and_only_a_semantic_model_has_one() -> None:
    with FabricTenant.in_memory() as tenant:
        gateway = LocalFabricGateway(tenant)
        workspace = gateway.create_workspace("Dev")
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales Model", definition=MODEL)
        lake = gateway.create_item(workspace.id, "Lakehouse", "Bronze")

        refreshed = gateway.refresh_semantic_model(workspace.id, model.id, 30)
        with pytest.raises(GatewayError) as refused:
            gateway.refresh_semantic_model(workspace.id, lake.id, 30)

    assert (refreshed.status, refreshed.completed, refreshed.error) == ("Completed", True, "")
    assert (refused.value.status, refused.value.error_code) == (400, "InvalidRequest")
    assert "is a Lakehouse, not a SemanticModel" in str(refused.value)
