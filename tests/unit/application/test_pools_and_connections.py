"""spark_pool and semantic_model_binding against a real (in-process) Fabric tenant.

The parameter file is the real one, read by the real reader; pools and connections are seeded into
the tenant, as a Fabric admin would create them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.source.parameter_file import YAML_CODEC, read_parameter_file
from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.connections import (
    ConnectionNotFound,
    bind_model_connections,
    check_connections,
)
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.domain.binding import bind
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.workspace import Workspace

DEV_POOL = "0a1b2c3d-0000-4000-8000-00000000d001"
SQL_ID = "5e6f7a8b-0000-4000-8000-00000000c001"
UNKNOWN = "5e6f7a8b-0000-4000-8000-0000000000ff"
COMPUTE = f"instance_pool_id: {DEV_POOL}\ndriver_cores: 4\n"
ENVIRONMENT = Item(
    ItemKey("Environment", "Spark"),
    definition=ItemDefinition.of([DefinitionPart.from_text("Setting/Sparkcompute.yml", COMPUTE)]),
    source_path="Spark.Environment",
)
MODEL_PARTS = [
    DefinitionPart.from_text("definition.pbism", '{"version": "4.2"}\n'),
    DefinitionPart.from_text("definition/model.tmdl", "model Model\n"),
]
MODEL = Item(
    ItemKey("SemanticModel", "Sales"), definition=ItemDefinition.of(MODEL_PARTS), source_path="Sales.SemanticModel"
)


@pytest.fixture
def tenant() -> Iterator[FabricTenant]:
    with FabricTenant.in_memory() as tenant:
        yield tenant


def inputs(tmp_path: Path, parameters: str, env_name: str = "prod") -> DeploymentInputs:
    path = tmp_path / "parameter.yml"
    path.write_text(parameters, encoding="utf-8")
    env = Environment(env_name, workspace_name="Sales PROD")
    source = Workspace.of("source", [ENVIRONMENT, MODEL])
    return DeploymentInputs(str(tmp_path), source, ReleaseConfig((env,)), env, read_parameter_file(str(path)))


POOLS = f"""
spark_pool:
  - instance_pool_id: "{DEV_POOL}"
    replace_value:
      prod: {{type: Workspace, name: Prod pool}}
"""


def test_an_environment_gets_the_id_of_the_target_workspaces_pool(tmp_path: Path, tenant: FabricTenant) -> None:
    gateway = LocalFabricGateway(tenant)
    workspace = gateway.create_workspace("Sales PROD")
    pool = tenant.create_spark_pool(workspace.id, "Prod pool", "Workspace")
    deployment = inputs(tmp_path, POOLS)
    context = binding_context(deployment, workspace.id, workspace.name, {}, gateway=gateway)

    part = bind(ENVIRONMENT, deployment.rules, context).part("Setting/Sparkcompute.yml")

    assert part is not None and part.text is not None
    assert YAML_CODEC.load(part.text) == {"instance_pool_id": pool.id, "driver_cores": 4}


def test_a_pool_missing_from_the_target_fails_naming_the_file_and_field(tmp_path: Path, tenant: FabricTenant) -> None:
    gateway = LocalFabricGateway(tenant)
    workspace = gateway.create_workspace("Sales PROD")
    tenant.create_spark_pool(workspace.id, "Prod pool", "Capacity")  # right name, wrong type
    deployment = inputs(tmp_path, POOLS)
    context = binding_context(deployment, workspace.id, workspace.name, {}, gateway=gateway)

    with pytest.raises(InvalidConfiguration) as raised:
        bind(ENVIRONMENT, deployment.rules, context)

    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'parameter.yml'}: spark_pool[0], field 'replace_value.prod.name': ")
    assert "no Workspace Spark pool named 'Prod pool'" in message


def test_while_the_workspace_does_not_exist_the_pool_id_is_a_placeholder(tmp_path: Path, tenant: FabricTenant) -> None:
    deployment = inputs(tmp_path, POOLS)
    context = binding_context(deployment, "", "Sales PROD", {}, gateway=LocalFabricGateway(tenant))

    part = bind(ENVIRONMENT, deployment.rules, context).part("Setting/Sparkcompute.yml")

    assert part is not None and part.text is not None
    assert YAML_CODEC.load(part.text)["instance_pool_id"] == "<id of Workspace pool 'Prod pool' after deployment>"


def bindings(connection_id: str) -> str:
    return f"""
semantic_model_binding:
  models:
    - semantic_model_name: Sales
      connection_id:
        prod: "{connection_id}"
"""


def test_a_deployed_model_is_bound_to_the_connection_of_the_environment(tmp_path: Path, tenant: FabricTenant) -> None:
    gateway = LocalFabricGateway(tenant)
    workspace = gateway.create_workspace("Sales PROD")
    tenant.create_connection("Sales SQL", "SQL", "srv;sales", connection_id=SQL_ID)
    model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL.definition)
    deployment = inputs(tmp_path, bindings(SQL_ID.upper()))  # GUIDs compare case-insensitively

    check_connections(gateway, deployment)
    bound = bind_model_connections(gateway, workspace.id, model.id, "Sales", deployment.rules, "prod")

    assert bound == (SQL_ID,)
    assert [c.id for c in tenant.list_item_connections(workspace.id, model.id)] == [SQL_ID]


def test_a_model_without_a_rule_for_the_environment_is_left_alone(tmp_path: Path, tenant: FabricTenant) -> None:
    gateway = LocalFabricGateway(tenant)
    workspace = gateway.create_workspace("Sales PROD")
    model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL.definition)
    deployment = inputs(tmp_path, bindings(SQL_ID), env_name="test")

    check_connections(gateway, deployment)

    assert bind_model_connections(gateway, workspace.id, model.id, "Sales", deployment.rules, "test") == ()
    assert tenant.list_item_connections(workspace.id, model.id) == []


def test_an_unknown_connection_is_refused_at_planning_time(tmp_path: Path, tenant: FabricTenant) -> None:
    deployment = inputs(tmp_path, bindings(UNKNOWN))

    with pytest.raises(InvalidConfiguration) as raised:
        check_connections(LocalFabricGateway(tenant), deployment)

    message = str(raised.value)
    assert message.startswith(
        f"{tmp_path / 'parameter.yml'}: semantic_model_binding.models[0], field 'connection_id': "
    )
    assert UNKNOWN in message and "'Sales'" in message


def test_an_unknown_connection_at_binding_time_is_a_gateway_error(tmp_path: Path, tenant: FabricTenant) -> None:
    gateway = LocalFabricGateway(tenant)
    workspace = gateway.create_workspace("Sales PROD")
    model = gateway.create_item(workspace.id, "SemanticModel", "Sales", definition=MODEL.definition)
    rules = inputs(tmp_path, bindings(UNKNOWN)).rules

    with pytest.raises(ConnectionNotFound) as raised:
        bind_model_connections(gateway, workspace.id, model.id, "Sales", rules, "prod")

    assert raised.value.error_code == "ConnectionNotFound"
    assert "semantic_model_binding.models[0], field 'connection_id'" in str(raised.value)
    assert tenant.list_item_connections(workspace.id, model.id) == []
