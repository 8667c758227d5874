"""Deploying a source folder to an environment, and planning it without writing."""

from __future__ import annotations

from fabctl.application.deployment.executor import Deps, execute
from fabctl.application.deployment.inputs import DeploymentInputs, load_inputs
from fabctl.application.deployment.planner import PreparedDeployment, prepare
from fabctl.application.deployment.results import DeploymentResult
from fabctl.application.deployment.target import TargetView, find_workspace
from fabctl.application.ports import (
    Clock,
    FabricGateway,
    IdGenerator,
    SourceReader,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.errors import NotFound
from fabctl.domain.items import ItemKey
from fabctl.domain.plan import DeploymentPlan


def select(inputs: DeploymentInputs, items: tuple[str, ...]) -> set[ItemKey] | None:
    """The keys named on the command line, each checked to exist in the source."""
    if not items:
        return None
    keys = {ItemKey.parse(text) for text in items}
    for key in sorted(keys):
        if key not in inputs.source:
            raise NotFound(f"no item '{key}' in the source", subject=inputs.source_dir, field="items")
    return keys


def prepare_deployment(
    inputs: DeploymentInputs,
    gateway: FabricGateway,
    uow: UnitOfWork,
    *,
    only: set[ItemKey] | None = None,
    delete_orphans: bool = False,
) -> PreparedDeployment:
    workspace = find_workspace(gateway, inputs.environment, inputs.config.source)
    view = TargetView.load(gateway, workspace)
    with uow:
        owned = uow.deployments.for_workspace(workspace.id) if workspace else {}
    return prepare(inputs, view, owned, only=only, delete_orphans=delete_orphans)


def plan_deployment(
    reader: SourceReader,
    gateway: FabricGateway,
    uow: UnitOfWork,
    source_dir: str,
    environment: str,
    *,
    config_path: str = "",
    parameter_path: str = "",
    items: tuple[str, ...] = (),
    delete_orphans: bool = False,
) -> DeploymentPlan:
    """What `deploy` would do, computed without a single write."""
    inputs = load_inputs(reader, source_dir, environment, config_path, parameter_path)
    only = select(inputs, items)
    return prepare_deployment(inputs, gateway, uow, only=only, delete_orphans=delete_orphans).plan


def execute_deployment(
    cmd: ExecuteDeployment,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
    telemetry: Telemetry,
) -> DeploymentResult:
    inputs = load_inputs(reader, cmd.source_dir, cmd.environment, cmd.config_path, cmd.parameter_path)
    only = select(inputs, cmd.items)
    prepared = prepare_deployment(inputs, gateway, uow, only=only, delete_orphans=cmd.delete_orphans)
    on_error = cmd.on_error or ("rollback" if inputs.environment.protected else "stop")
    deps = Deps(uow, gateway, clock, ids, telemetry)
    return execute(prepared, deps, transaction_id=ids.new_id(), message_id=cmd.message_id, on_error=on_error)
