"""Computes the plan: what a deployment would change, item by item, without writing anything."""

from __future__ import annotations

from dataclasses import dataclass

from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.deployment.target import TargetView
from fabctl.application.ports import DeployedItem
from fabctl.domain.binding import bind, check_all_rules_matched
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.item_types import DATA_HOLDING_TYPES, SHELL_ONLY_TYPES
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.plan import ChangeKind, DeploymentPlan, PlannedChange
from fabctl.domain.references import dependency_order


@dataclass(frozen=True)
class PreparedDeployment:
    """A plan plus what executing it needs: the inputs and the target as it was read."""

    inputs: DeploymentInputs
    view: TargetView
    plan: DeploymentPlan


def changed_parts(desired: ItemDefinition, current: ItemDefinition) -> tuple[str, ...]:
    wanted = {p.path: p.normalized() for p in desired.content_parts}
    held = {p.path: p.normalized() for p in current.content_parts}
    return tuple(sorted(path for path in wanted.keys() | held.keys() if wanted.get(path) != held.get(path)))


def prepare(
    inputs: DeploymentInputs,
    view: TargetView,
    owned: dict[ItemKey, DeployedItem],
    *,
    only: set[ItemKey] | None = None,
    delete_orphans: bool = False,
) -> PreparedDeployment:
    """Plan the deployment of the source (or of `only` these items of it) to the target.

    References resolve against the whole source, so a selected item still binds to an
    unselected one that the target already holds.
    """
    workspace_name = view.workspace.name if view.workspace else inputs.environment.workspace_name
    context = binding_context(inputs, view.workspace_id, workspace_name, {k: i.id for k, i in view.items.items()})
    changes = []
    for key in dependency_order(inputs.source, only):
        item = inputs.source.get(key)
        assert item is not None  # dependency_order only returns keys of the source
        desired = bind(item, inputs.rules, context)
        changes.append(_change_for(item, desired, view))
    check_all_rules_matched(inputs.rules, context)
    if delete_orphans:
        changes.extend(_orphans(inputs, view, owned))
    plan = DeploymentPlan(
        environment=inputs.environment.name,
        workspace_id=view.workspace_id,
        workspace_name=workspace_name,
        changes=tuple(changes),
        folders_to_create=tuple(p for p in inputs.source.folders if p not in view.folders),
        workspace_exists=view.workspace is not None,
    )
    return PreparedDeployment(inputs, view, plan)


def _change_for(item: Item, desired: ItemDefinition, view: TargetView) -> PlannedChange:
    remote = view.items.get(item.key)
    if remote is None:
        return PlannedChange(ChangeKind.CREATE, item.key, "not in the workspace")
    reasons = []
    parts: tuple[str, ...] = ()
    if remote.description != item.description:
        reasons.append("description differs")
    if item.type not in SHELL_ONLY_TYPES:
        parts = changed_parts(desired, view.definition(item.key))
        if parts:
            reasons.append("definition differs: " + ", ".join(parts))
    if not reasons:
        shell = " (shell only: its data is never touched)" if item.type in SHELL_ONLY_TYPES else ""
        return PlannedChange(ChangeKind.NO_OP, item.key, "unchanged" + shell, remote.id)
    return PlannedChange(ChangeKind.UPDATE, item.key, "; ".join(reasons), remote.id, parts)


def _orphans(inputs: DeploymentInputs, view: TargetView, owned: dict[ItemKey, DeployedItem]) -> list[PlannedChange]:
    orphans = []
    for key, record in sorted(owned.items()):
        if key in inputs.source or key not in view.items:
            continue
        if key.type in DATA_HOLDING_TYPES:
            continue  # holds data: never deleted implicitly
        reason = "deployed by fabctl, no longer in the source"
        orphans.append(PlannedChange(ChangeKind.DELETE, key, reason, record.item_id))
    return orphans
