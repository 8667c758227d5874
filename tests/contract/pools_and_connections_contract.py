"""What every `FabricGateway` must do for parameter.yml's `spark_pool` and `semantic_model_binding`.

Pools and connections cannot be created through the port (the real service creates them in the
portal or in capacity settings), so subclasses provide a `seeder` over the same tenant, which also
reads back what a model is bound to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import pytest
from fabric_gateway_contract import UNKNOWN_ID

from fabctl.application.errors import GatewayError, ItemNotFound
from fabctl.application.ports import ConnectionInfo, ConnectionWrite, FabricGateway, WorkspaceInfo
from fabctl.domain.definition import DefinitionPart, ItemDefinition

MODEL = ItemDefinition.of(
    [
        DefinitionPart.from_text("definition.pbism", '{"version": "4.2"}\n'),
        DefinitionPart.from_text("definition/model.tmdl", "model Model\n"),
    ]
)


# A model with one data source in its M: Fabric lists it among the model's connections, bound or not.
SQL_MODEL = ItemDefinition.of(
    [
        DefinitionPart.from_text("definition.pbism", '{"version": "4.2"}\n'),
        DefinitionPart.from_text("definition/model.tmdl", "model Model\n"),
        DefinitionPart.from_text(
            "definition/tables/Orders.tmdl",
            'table Orders\n\tpartition Orders = m\n\t\tmode: import\n\t\tsource = Sql.Database("srv", "sales")\n',
        ),
    ]
)


class Seeder(Protocol):
    def add_pool(self, workspace_id: str, name: str, pool_type: str) -> str: ...
    def add_connection(self, name: str, kind: str, path: str, connectivity: str = "ShareableCloud") -> str: ...
    def bound_connections(self, workspace_id: str, model_id: str) -> list[str]:
        """The ids of the connections the model's data sources are bound to (unbound ones left out)."""
        ...


class PoolsAndConnectionsContract:
    @pytest.fixture
    def gateway(self) -> FabricGateway:
        raise NotImplementedError("subclasses provide a gateway over a fresh tenant")

    @pytest.fixture
    def seeder(self) -> Seeder:
        raise NotImplementedError("subclasses seed pools and connections into the gateway's tenant")

    @pytest.fixture
    def workspace(self, gateway: FabricGateway) -> WorkspaceInfo:
        return gateway.create_workspace("Pools and connections")

    # --- spark pools ---------------------------------------------------------------------------

    def test_every_workspace_can_use_the_starter_pool(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        pools = gateway.list_spark_pools(workspace.id)

        assert [(p.name, p.type) for p in pools] == [("Starter Pool", "Workspace")]
        assert pools[0].id and pools[0].id != "00000000-0000-0000-0000-000000000000"

    def test_seeded_pools_are_listed_with_their_ids(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        own = seeder.add_pool(workspace.id, "Nightly", "Workspace")
        shared = seeder.add_pool(workspace.id, "Shared", "Capacity")

        pools = {(p.name, p.type): p.id for p in gateway.list_spark_pools(workspace.id)}

        assert pools[("Nightly", "Workspace")] == own
        assert pools[("Shared", "Capacity")] == shared
        assert len({own, shared}) == 2

    def test_a_workspace_pool_belongs_to_its_workspace_and_a_capacity_pool_is_shared(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        seeder.add_pool(workspace.id, "Mine", "Workspace")
        seeder.add_pool(workspace.id, "Ours", "Capacity")
        other = gateway.create_workspace("Other workspace")  # on the same (default) capacity

        names = {(p.name, p.type) for p in gateway.list_spark_pools(other.id)}

        assert ("Mine", "Workspace") not in names
        assert ("Ours", "Capacity") in names

    def test_the_pools_of_an_unknown_workspace_are_not_found(self, gateway: FabricGateway) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.list_spark_pools(UNKNOWN_ID)

        assert raised.value.error_code == "WorkspaceNotFound"

    # --- connections and bindings ----------------------------------------------------------------

    def test_seeded_connections_are_listed_with_their_details(self, gateway: FabricGateway, seeder: Seeder) -> None:
        sql = seeder.add_connection("Sales SQL", "SQL", "sales.database.windows.net;sales")
        lake = seeder.add_connection("Lake", "AzureDataLakeStorage", "https://onelake.dfs.fabric.microsoft.com/x")

        listed = {c.id: c for c in gateway.list_connections()}

        assert listed[sql] == ConnectionInfo(
            sql, "Sales SQL", "ShareableCloud", "SQL", "sales.database.windows.net;sales",
            privacy_level="Organizational", credential_type="Anonymous", connection_encryption="NotEncrypted",
        )  # fmt: skip
        assert listed[lake].connection_type == "AzureDataLakeStorage"
        assert listed[lake].path == "https://onelake.dfs.fabric.microsoft.com/x"

    def test_a_connection_is_created_updated_and_deleted_and_never_shows_its_credentials(
        self, gateway: FabricGateway
    ) -> None:
        write = ConnectionWrite(
            "sales-sql", "SQL", (("server", "srv.database.windows.net"), ("database", "sales")), "Organizational",
            "NotEncrypted", False, "Basic", {"username": "svc", "password": "contract-pw-41"},
        )  # fmt: skip

        created = gateway.create_connection(write)
        updated = gateway.update_connection(
            created.id, replace(write, privacy_level="Private", credentials={"username": "svc", "password": "pw-2"})
        )

        assert created == ConnectionInfo(
            created.id, "sales-sql", "ShareableCloud", "SQL", "srv.database.windows.net;sales",
            privacy_level="Organizational", credential_type="Basic", connection_encryption="NotEncrypted",
        )  # fmt: skip
        assert updated == replace(created, privacy_level="Private")
        assert [c for c in gateway.list_connections() if c.id == created.id] == [updated]
        assert "contract-pw-41" not in repr(write)
        gateway.delete_connection(created.id)
        assert all(c.id != created.id for c in gateway.list_connections())
        with pytest.raises(ItemNotFound):
            gateway.delete_connection(created.id)

    def test_a_model_is_bound_to_a_connection(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        connection_id = seeder.add_connection("Sales SQL", "SQL", "srv;sales")
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
        connection = next(c for c in gateway.list_connections() if c.id == connection_id)

        gateway.bind_semantic_model_connection(workspace.id, model.id, connection)

        assert seeder.bound_connections(workspace.id, model.id) == [connection_id]

    def test_an_item_lists_the_connections_it_is_bound_to(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        connection_id = seeder.add_connection("Sales SQL", "SQL", "srv;sales")
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
        assert gateway.list_item_connections(workspace.id, model.id) == []
        connection = next(c for c in gateway.list_connections() if c.id == connection_id)

        gateway.bind_semantic_model_connection(workspace.id, model.id, connection)

        listed = gateway.list_item_connections(workspace.id, model.id)
        assert [(c.id, c.connection_type, c.path) for c in listed] == [(connection_id, "SQL", "srv;sales")]

    def test_a_model_lists_its_unbound_data_source_until_a_connection_replaces_it(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        connection_id = seeder.add_connection("Sales SQL", "SQL", "srv;sales")
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=SQL_MODEL)
        unbound = gateway.list_item_connections(workspace.id, model.id)
        connection = next(c for c in gateway.list_connections() if c.id == connection_id)

        gateway.bind_semantic_model_connection(workspace.id, model.id, connection)

        assert unbound == [ConnectionInfo("", "", "None", "SQL", "srv;sales")]
        assert gateway.list_item_connections(workspace.id, model.id) == [
            ConnectionInfo(connection_id, "Sales SQL", "ShareableCloud", "SQL", "srv;sales")
        ]

    def test_binding_the_same_data_source_again_replaces_the_connection(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        first = seeder.add_connection("Lake one", "AzureDataLakeStorage", "https://lake/a/")
        second = seeder.add_connection("Lake two", "AzureDataLakeStorage", "https://lake/a")
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
        by_id = {c.id: c for c in gateway.list_connections()}

        gateway.bind_semantic_model_connection(workspace.id, model.id, by_id[first])
        gateway.bind_semantic_model_connection(workspace.id, model.id, by_id[second])

        assert seeder.bound_connections(workspace.id, model.id) == [second]

    def test_binding_to_an_unknown_connection_fails_and_binds_nothing(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL)
        ghost = ConnectionInfo(UNKNOWN_ID, "Ghost", "ShareableCloud", "SQL", "srv;db")

        with pytest.raises(GatewayError) as raised:
            gateway.bind_semantic_model_connection(workspace.id, model.id, ghost)

        assert (raised.value.error_code, raised.value.status) == ("ConnectionNotFound", 404)
        assert seeder.bound_connections(workspace.id, model.id) == []

    def test_binding_an_item_that_is_not_a_semantic_model_is_not_found(
        self, gateway: FabricGateway, seeder: Seeder, workspace: WorkspaceInfo
    ) -> None:
        connection_id = seeder.add_connection("Sales SQL", "SQL", "srv;sales")
        lakehouse = gateway.create_item(workspace.id, "Lakehouse", "Raw")
        connection = next(c for c in gateway.list_connections() if c.id == connection_id)

        with pytest.raises(ItemNotFound) as raised:
            gateway.bind_semantic_model_connection(workspace.id, lakehouse.id, connection)

        assert raised.value.error_code == "ItemNotFound"
