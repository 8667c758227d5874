"""Deploying a source folder to an environment, and planning it without writing."""

from __future__ import annotations

import dataclasses
import os

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import DeploymentInputs, load_inputs
from fabctl.application.deployment.leases import journal_mark
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
from fabctl.application.messagebus import run_once
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    DeployedItem,
    DeploymentProgress,
    FabricGateway,
    IdGenerator,
    Machine,
    SourceReader,
    StopRequests,
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


def deployed_elsewhere(
    uow: UnitOfWork, workspace_id: str, source_dir: str, machine: Machine | None = None
) -> frozenset[ItemKey]:
    """Keys fabctl last deployed into the workspace from another source folder: never orphans here.

    A folder is the same owner however its path is spelled: with `machine`, both paths are compared
    as the folder they name (absolute, symlinks resolved). Journals record that real path; one
    written before they did holds the path as typed, and a relative one is taken from the current
    directory, where `.fabctl/` (and so that journal) lives by default.
    """
    with uow:
        records = uow.deployments.for_workspace(workspace_id)
        sources = {tx.id: tx.source_dir for tx in uow.transactions.summaries(workspace_id)}
    same = machine.real_path if machine is not None else os.path.normpath
    here = same(source_dir)
    owners = {tx: same(path) for tx, path in sources.items()}
    return frozenset(k for k, r in records.items() if owners.get(r.transaction_id, here) != here)


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
    machine: Machine | None = None,
) -> PreparedDeployment:
    """Plan against the workspace as it is now. With `machine`, the source folder is journaled as
    the folder it names (see `deployed_elsewhere`)."""
    if machine is not None:  # journaled as the files they name, whatever directory a resume runs in
        real = machine.real_path
        inputs = dataclasses.replace(
            inputs,
            source_dir=real(inputs.source_dir),
            config_path=real(inputs.config_path) if inputs.config_path else "",
            parameter_path=real(inputs.parameter_path) if inputs.parameter_path else "",
        )
    workspace = find_workspace(gateway, inputs.environment, inputs.config.source)
    # The journal's mark is read before the workspace: whatever changes the workspace after this
    # (a deployment starting, or one that was writing finishing) makes this plan stale.
    with uow:
        history = uow.transactions.summaries(workspace.id) if workspace else []
    view = TargetView.load(gateway, workspace)
    with uow:
        owned = uow.deployments.for_workspace(workspace.id) if workspace else {}
    # An item gone from the source but still deployed binds through its record's logical id.
    inputs = dataclasses.replace(inputs, target_logical_ids=recorded_logical_ids(owned))
    # Only orphan detection needs to know where a record came from (reading journals costs time).
    elsewhere = (
        deployed_elsewhere(uow, workspace.id, inputs.source_dir, machine) if workspace and delete_orphans else None
    )
    prepared = prepare(
        inputs, view, owned, only=only, delete_orphans=delete_orphans,
        delete_data_items=frozenset(ItemKey.parse(k) for k in delete_data_items), refresh=refresh,
        deployed_elsewhere=elsewhere or frozenset(), allow_dangling=allow_dangling,
    )  # fmt: skip
    return dataclasses.replace(prepared, journal_mark=journal_mark(history))


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
    machine: Machine | None = None,
) -> PreparedDeployment:
    """Like `plan_deployment`, with what a diff needs: desired and (via `view`) current definitions."""
    inputs = load_inputs(reader, source_dir, environment, config_path, parameter_path)
    only = select(inputs, selection)
    flags = inputs.environment.flags  # a flag turns a behaviour on by default; an option asks for it anyway
    return prepare_deployment(
        inputs, gateway, uow, only=only, delete_orphans=delete_orphans or flags.delete_orphans,
        delete_data_items=delete_data_items, refresh=refresh or flags.refresh_before_deploy,
        allow_dangling=allow_dangling, machine=machine,
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
    machine: Machine | None = None,
    stop: StopRequests | None = None,
    retry: ConflictRetry = run_once,
) -> DeploymentResult:
    inputs = load_inputs(reader, cmd.source_dir, cmd.environment, cmd.config_path, cmd.parameter_path)
    only = select(inputs, selection_of(cmd))
    flags = inputs.environment.flags  # a flag turns a behaviour on by default; an option asks for it anyway
    prepared = prepare_deployment(
        inputs, gateway, uow, only=only, delete_orphans=cmd.delete_orphans or flags.delete_orphans,
        delete_data_items=cmd.delete_data_items, refresh=cmd.refresh or flags.refresh_before_deploy,
        allow_dangling=cmd.allow_dangling, machine=machine,
    )  # fmt: skip
    on_error = cmd.on_error or ("rollback" if flags.rollback_on_failure else "stop")
    deps = Deps(uow, gateway, clock, ids, telemetry, machine, stop, retry=retry)
    progress.started(prepared.plan)
    return execute(
        prepared, deps, transaction_id=ids.new_id(), message_id=cmd.message_id, on_error=on_error,
        max_workers=cmd.max_workers, on_progress=progress.item_finished, actor=cmd.requested_by,
        actor_object_id=cmd.actor_object_id,
    )  # fmt: skip


def recorded_logical_ids(owned: dict[ItemKey, DeployedItem]) -> dict[str, ItemKey]:
    """Logical id (lower case) -> item, of the items fabctl's records say it deployed into the target."""
    return {r.logical_id.lower(): key for key, r in owned.items() if r.logical_id}


def selection_of(cmd: ExecuteDeployment) -> Selection:
    return Selection(cmd.items, cmd.item_types, cmd.folders, cmd.exclude, cmd.with_dependencies)
