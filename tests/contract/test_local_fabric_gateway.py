"""The Fabric gateway contract, run against the in-process gateway over a tenant in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fabric_gateway_contract import UNKNOWN_ID, FabricGatewayContract

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.application.errors import ItemNotFound
from fabctl.application.ports import FabricGateway


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
