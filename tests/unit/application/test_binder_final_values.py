"""Binding content that is about to be written: never a placeholder, and a new SQL endpoint is waited for.

Against a real (in-process) Fabric tenant whose clock the test moves: a lakehouse's SQL endpoint is
provisioned `sql_endpoint_seconds` after the lakehouse is created, as Fabric does it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.source.parameter_file import read_parameter_file
from fabctl.application.deployment.binder import PROVISIONING_WAIT_S, binding_context
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.workspace import Workspace

LAKE = ItemKey("Lakehouse", "Lake")
SQL_ENDPOINT = "$items.Lakehouse.Lake.$sqlendpoint"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(clock: Clock) -> Iterator[LocalFabricGateway]:
    with FabricTenant.in_memory(sql_endpoint_seconds=5, clock=lambda: clock.now) as tenant:
        yield LocalFabricGateway(tenant)


def inputs(tmp_path: Path) -> DeploymentInputs:
    path = tmp_path / "parameter.yml"
    path.write_text(f"find_replace:\n  - {{find_value: LAKE_SQL, replace_value: {{dev: '{SQL_ENDPOINT}'}}}}\n")
    env = Environment("dev", workspace_name="Sales DEV")
    source = Workspace.of("source", [Item(LAKE)])
    return DeploymentInputs(str(tmp_path), source, ReleaseConfig((env,)), env, read_parameter_file(str(path)))


def test_a_new_lakehouses_sql_endpoint_is_waited_for_when_binding_for_a_write(
    tmp_path: Path, gateway: LocalFabricGateway, clock: Clock
) -> None:
    workspace = gateway.create_workspace("Sales DEV")
    lake = gateway.create_item(workspace.id, "Lakehouse", "Lake")
    context = binding_context(
        inputs(tmp_path), workspace.id, workspace.name, {LAKE: lake.id}, gateway=gateway, final=True, sleep=clock.sleep
    )

    endpoint = context.resolve(SQL_ENDPOINT)

    assert endpoint == gateway.get_item_attribute(workspace.id, "Lakehouse", lake.id, "sqlendpoint")
    assert endpoint  # provisioned by now
    assert 5 <= sum(clock.slept) < 5 + 2 * max(clock.slept), clock.slept  # polled until it was there


@pytest.mark.parametrize(
    ("item_type", "value", "read"),
    [
        ("Lakehouse", "$items.Lakehouse.Late.$sqlendpointid", "sqlendpointid"),
        ("MirroredDatabase", "$items.MirroredDatabase.Late.$sqlendpoint", "sqlendpoint"),
        ("Eventhouse", "$items.Eventhouse.Late.$queryserviceuri", "queryserviceuri"),
        ("Eventhouse", "$items.Eventhouse.Late.queryserviceuri", "queryserviceuri"),  # the legacy form
    ],
)
def test_every_provisioned_value_is_waited_for_when_binding_for_a_write(
    tmp_path: Path, gateway: LocalFabricGateway, clock: Clock, item_type: str, value: str, read: str
) -> None:
    workspace = gateway.create_workspace("Sales DEV")
    # Fabric requires a definition of a mirrored database.
    mirroring = ItemDefinition.of([DefinitionPart.from_text("mirroring.json", "{}")])
    definition = mirroring if item_type == "MirroredDatabase" else None
    late = gateway.create_item(workspace.id, item_type, "Late", definition=definition)
    ids = {ItemKey(item_type, "Late"): late.id}
    context = binding_context(
        inputs(tmp_path), workspace.id, workspace.name, ids, gateway=gateway, final=True, sleep=clock.sleep
    )

    resolved = context.resolve(value)

    assert resolved and resolved == gateway.get_item_attribute(workspace.id, item_type, late.id, read)
    assert 5 <= sum(clock.slept) < 5 + 2 * max(clock.slept), clock.slept


def test_a_plan_does_not_wait_for_a_sql_endpoint(tmp_path: Path, gateway: LocalFabricGateway, clock: Clock) -> None:
    workspace = gateway.create_workspace("Sales DEV")
    lake = gateway.create_item(workspace.id, "Lakehouse", "Lake")
    context = binding_context(inputs(tmp_path), workspace.id, workspace.name, {LAKE: lake.id}, gateway=gateway)

    with pytest.raises(InvalidConfiguration, match="still being provisioned"):
        context.resolve(SQL_ENDPOINT)
    assert clock.slept == []


def test_an_endpoint_never_provisioned_fails_after_the_wait(tmp_path: Path, clock: Clock) -> None:
    with FabricTenant.in_memory(sql_endpoint_seconds=10 * PROVISIONING_WAIT_S, clock=lambda: clock.now) as tenant:
        gateway = LocalFabricGateway(tenant)
        workspace = gateway.create_workspace("Sales DEV")
        lake = gateway.create_item(workspace.id, "Lakehouse", "Lake")
        context = binding_context(
            inputs(tmp_path), workspace.id, "Sales DEV", {LAKE: lake.id}, gateway=gateway, final=True, sleep=clock.sleep
        )

        with pytest.raises(InvalidConfiguration, match=f"still being provisioned after {PROVISIONING_WAIT_S:g}s"):
            context.resolve(SQL_ENDPOINT)


def test_content_to_be_written_never_gets_a_placeholder(tmp_path: Path, gateway: LocalFabricGateway) -> None:
    workspace = gateway.create_workspace("Sales DEV")  # the lakehouse was never created
    planning = binding_context(inputs(tmp_path), workspace.id, workspace.name, {}, gateway=gateway)
    writing = binding_context(inputs(tmp_path), workspace.id, workspace.name, {}, gateway=gateway, final=True)

    assert planning.resolve("$items.Lakehouse.Lake.$id") == "<id of Lake.Lakehouse after deployment>"
    with pytest.raises(InvalidConfiguration, match=r"Lake\.Lakehouse is not in the workspace"):
        writing.resolve("$items.Lakehouse.Lake.$id")
