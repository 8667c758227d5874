"""Computes the plan: what a deployment would change, item by item, without writing anything."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """A plan plus what executing it needs: the inputs and the target as it was read.

    `desired` holds, per item to create or update, the definition as it would be sent (bound with
    the ids known at planning time); `view.definition(key)` gives the current one.
    """

    inputs: DeploymentInputs
    view: TargetView
    plan: DeploymentPlan
    desired: dict[ItemKey, ItemDefinition] = field(default_factory=dict)
    # The newest transaction on the workspace when it was read ("" for none); None: not checked.
    # A deployment that committed in between makes this plan stale, and executing it is refused.
    journal_mark: str | None = None


DRIFT = "changed in the workspace since fabctl deployed it (drift)"


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
    delete_data_items: frozenset[ItemKey] = frozenset(),
    refresh: bool = False,
    deployed_elsewhere: frozenset[ItemKey] = frozenset(),
) -> PreparedDeployment:
    """Plan the deployment of the source (or of `only` these items of it) to the target.

    References resolve against the whole source, so a selected item still binds to an
    unselected one that the target already holds. `owned` is what fabctl deployed there: an item
    whose bound definition has the hash it recorded is unchanged without reading its definition
    back, unless `refresh` asks to compare with the live one. Orphans are owned items no longer
    in the source, except those last deployed from another source folder (`deployed_elsewhere`).
    """
    workspace_name = view.workspace.name if view.workspace else inputs.environment.workspace_name
    ids = {k: i.id for k, i in view.items.items()}
    context = binding_context(inputs, view.workspace_id, workspace_name, ids, gateway=view.gateway)
    changes = []
    desired_by_key: dict[ItemKey, ItemDefinition] = {}
    bound: list[tuple[Item, ItemDefinition]] = []
    for key in dependency_order(inputs.source, only):
        item = inputs.source.get(key)
        assert item is not None  # dependency_order only returns keys of the source
        bound.append((item, bind(item, inputs.rules, context)))
    # Definitions that must be compared live are read in parallel: without local records (a CI
    # runner that keeps no .fabctl/) or with --refresh, reading them one by one dominates a plan.
    view.prefetch([i.key for i, d in bound if _needs_live_definition(i, d, view, owned.get(i.key), refresh)])
    for item, desired in bound:
        change = _change_for(item, desired, view, owned.get(item.key), refresh)
        changes.append(change)
        if change.writes:
            desired_by_key[item.key] = desired
    if only is not None:
        # A rule is checked against the whole source, as a full deployment would: selecting a few
        # items must not turn a rule that applies to the others into "matched nothing".
        for item in inputs.source:
            if item.key not in only:
                bind(item, inputs.rules, context)
    check_all_rules_matched(inputs.rules, context)
    if delete_orphans:
        mine = {k: r for k, r in owned.items() if k not in deployed_elsewhere}
        changes.extend(_orphans(inputs, view, mine, delete_data_items))
    plan = DeploymentPlan(
        environment=inputs.environment.name,
        workspace_id=view.workspace_id,
        workspace_name=workspace_name,
        changes=tuple(changes),
        folders_to_create=tuple(p for p in _folders_needed(inputs, only) if p not in view.folders),
        workspace_exists=view.workspace is not None,
    )
    return PreparedDeployment(inputs, view, plan, desired_by_key)


def _folders_needed(inputs: DeploymentInputs, only: set[ItemKey] | None) -> list[str]:
    """The source's folders (parents first) that the deployed items live in or under."""
    homes = {i.folder for i in inputs.source if only is None or i.key in only}
    return [p for p in inputs.source.folders if any(h == p or h.startswith(p + "/") for h in homes)]


def _as_recorded(desired: ItemDefinition, remote_id: str, record: DeployedItem | None) -> bool:
    """The target holds what fabctl last deployed there, and that is what is wanted now."""
    return record is not None and record.item_id == remote_id and record.deployed_hash == desired.content_hash()


def _needs_live_definition(
    item: Item, desired: ItemDefinition, view: TargetView, record: DeployedItem | None, refresh: bool
) -> bool:
    remote = view.items.get(item.key)
    if remote is None or item.type in SHELL_ONLY_TYPES:
        return False
    return refresh or not _as_recorded(desired, remote.id, record)


def _change_for(
    item: Item, desired: ItemDefinition, view: TargetView, record: DeployedItem | None, refresh: bool
) -> PlannedChange:
    remote = view.items.get(item.key)
    if remote is None:
        return PlannedChange(ChangeKind.CREATE, item.key, "not in the workspace")
    reasons = []
    parts: tuple[str, ...] = ()
    drift = False
    if remote.description != item.description:
        reasons.append("description differs")
    if item.type not in SHELL_ONLY_TYPES:
        as_recorded = _as_recorded(desired, remote.id, record)
        if refresh or not as_recorded:
            parts = changed_parts(desired, view.definition(item.key))
        if parts and as_recorded:
            drift = True
            reasons.append(f"{DRIFT}: " + ", ".join(parts))
        elif parts:
            reasons.append("definition differs: " + ", ".join(parts))
    folder = view.folder_path_of(remote)
    move_to = item.folder if folder != item.folder else None
    if move_to is not None:
        reasons.append(f"folder differs: '{folder or '/'}' -> '{item.folder or '/'}'")
    if not reasons:
        shell = " (shell only: its data is never touched)" if item.type in SHELL_ONLY_TYPES else ""
        return PlannedChange(ChangeKind.NO_OP, item.key, "unchanged" + shell, remote.id)
    return PlannedChange(ChangeKind.UPDATE, item.key, "; ".join(reasons), remote.id, parts, move_to, drift)


def _orphans(
    inputs: DeploymentInputs,
    view: TargetView,
    owned: dict[ItemKey, DeployedItem],
    delete_data_items: frozenset[ItemKey],
) -> list[PlannedChange]:
    orphans = []
    for key, record in sorted(owned.items()):
        if key in inputs.source or key not in view.items or view.items[key].id != record.item_id:
            continue  # still deployed, already gone, or replaced by an item fabctl did not deploy
        if key.type in DATA_HOLDING_TYPES and key not in delete_data_items:
            continue  # holds data: never deleted unless named explicitly
        reason = "deployed by fabctl from this source, no longer in it"
        orphans.append(PlannedChange(ChangeKind.DELETE, key, reason, record.item_id))
    return orphans
