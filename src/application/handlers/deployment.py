"""Deploying a source folder to an environment, and planning it without writing."""

from __future__ import annotations

import dataclasses
import os

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import DeploymentInputs, load_inputs
from fabctl.application.deployment.planner import PreparedDeployment, prepare
from fabctl.application.deployment.results import DeploymentResult
from fabctl.application.deployment.run import Deps
from fabctl.application.deployment.selection import (
    Selection,
    environment_scope,
    refuse_selected_unknown_types,
    select_items,
)
from fabctl.application.deployment.target import TargetView, find_workspace
from fabctl.application.ports import (
    Clock,
    DeployedItem,
    DeploymentProgress,
    FabricGateway,
    IdGenerator,
    SourceReader,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain.commands import ExecuteDeployment
from fabctl.domain.items import ItemKey
from fabctl.domain.plan import DeploymentPlan


def select(inputs: DeploymentInputs, selection: Selection | None) -> set[ItemKey] | None:
    """The keys a deployment covers (see `Selection`), within the environment's scope; None = all.

    An item of an unknown type that they would cover is an error naming its `.platform` file.
    """
    selection = selection or Selection()
    selection.check(inputs.source_dir)
    refuse_selected_unknown_types(inputs.source, selection, inputs.environment)
    chosen = select_items(inputs.source, selection, inputs.source_dir)
    scope = environment_scope(inputs.source, inputs.environment)
    if scope is None:
        return chosen
    return scope if chosen is None else chosen & scope


def deployed_elsewhere(uow: UnitOfWork, workspace_id: str, source_dir: str) -> frozenset[ItemKey]:
    """Keys fabctl last deployed into the workspace from another source folder: never orphans here."""
    with uow:
        records = uow.deployments.for_workspace(workspace_id)
        sources = {tx.id: tx.source_dir for tx in uow.transactions.summaries(workspace_id)}
    here = os.path.normpath(source_dir)
    return frozenset(k for k, r in records.items() if os.path.normpath(sources.get(r.transaction_id, here)) != here)


def prepare_deployment(
    inputs: DeploymentInputs,
    gateway: FabricGateway,
    uow: UnitOfWork,
    *,
    only: set[ItemKey] | None = None,
    delete_orphans: bool = False,
    delete_data_items: tuple[str, ...] = (),
    refresh: bool = False,
    allow_dangling: bool = False,
) -> PreparedDeployment:
    workspace = find_workspace(gateway, inputs.environment, inputs.config.source)
    view = TargetView.load(gateway, workspace)
    with uow:
        owned = uow.deployments.for_workspace(workspace.id) if workspace else {}
        history = uow.transactions.summaries(workspace.id) if workspace else []
    # An item gone from the source but still deployed binds through its record's logical id.
    inputs = dataclasses.replace(inputs, target_logical_ids=recorded_logical_ids(owned))
    # Only orphan detection needs to know where a record came from (reading journals costs time).
    elsewhere = deployed_elsewhere(uow, workspace.id, inputs.source_dir) if workspace and delete_orphans else None
    prepared = prepare(
        inputs, view, owned, only=only, delete_orphans=delete_orphans,
        delete_data_items=frozenset(ItemKey.parse(k) for k in delete_data_items), refresh=refresh,
        deployed_elsewhere=elsewhere or frozenset(), allow_dangling=allow_dangling,
    )  # fmt: skip
    return dataclasses.replace(prepared, journal_mark=history[-1].id if history else "")


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
    item_types: tuple[str, ...] = (),
    folders: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    with_dependencies: bool = False,
    delete_orphans: bool = False,
    delete_data_items: tuple[str, ...] = (),
    refresh: bool = False,
    allow_dangling: bool = False,
) -> DeploymentPlan:
    """What `deploy` would do, computed without a single write."""
    return prepare_plan(
        reader, gateway, uow, source_dir, environment, config_path=config_path, parameter_path=parameter_path,
        selection=Selection(items, item_types, folders, exclude, with_dependencies),
        delete_orphans=delete_orphans, delete_data_items=delete_data_items, refresh=refresh,
        allow_dangling=allow_dangling,
    ).plan  # fmt: skip


def prepare_plan(
    reader: SourceReader,
    gateway: FabricGateway,
    uow: UnitOfWork,
    source_dir: str,
    environment: str,
    *,
    config_path: str = "",
    parameter_path: str = "",
    selection: Selection | None = None,
    delete_orphans: bool = False,
    delete_data_items: tuple[str, ...] = (),
    refresh: bool = False,
    allow_dangling: bool = False,
) -> PreparedDeployment:
    """Like `plan_deployment`, with what a diff needs: desired and (via `view`) current definitions."""
    inputs = load_inputs(reader, source_dir, environment, config_path, parameter_path)
    only = select(inputs, selection)
    return prepare_deployment(
        inputs, gateway, uow, only=only, delete_orphans=delete_orphans,
        delete_data_items=delete_data_items, refresh=refresh, allow_dangling=allow_dangling,
    )  # fmt: skip


def execute_deployment(
    cmd: ExecuteDeployment,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
    telemetry: Telemetry,
    progress: DeploymentProgress,
) -> DeploymentResult:
    inputs = load_inputs(reader, cmd.source_dir, cmd.environment, cmd.config_path, cmd.parameter_path)
    only = select(inputs, selection_of(cmd))
    prepared = prepare_deployment(
        inputs, gateway, uow, only=only, delete_orphans=cmd.delete_orphans,
        delete_data_items=cmd.delete_data_items, refresh=cmd.refresh, allow_dangling=cmd.allow_dangling,
    )  # fmt: skip
    on_error = cmd.on_error or ("rollback" if inputs.environment.protected else "stop")
    deps = Deps(uow, gateway, clock, ids, telemetry)
    progress.started(prepared.plan)
    return execute(
        prepared, deps, transaction_id=ids.new_id(), message_id=cmd.message_id, on_error=on_error,
        max_workers=cmd.max_workers, on_progress=progress.item_finished,
    )  # fmt: skip


def recorded_logical_ids(owned: dict[ItemKey, DeployedItem]) -> dict[str, ItemKey]:
    """Logical id (lower case) -> item, of the items fabctl's records say it deployed into the target."""
    return {r.logical_id.lower(): key for key, r in owned.items() if r.logical_id}


def selection_of(cmd: ExecuteDeployment) -> Selection:
    return Selection(cmd.items, cmd.item_types, cmd.folders, cmd.exclude, cmd.with_dependencies)
