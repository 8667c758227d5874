"""Computes the plan: what a deployment would change, item by item, without writing anything."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.connection_plan import plan_connections
from fabctl.application.deployment.connections import SEMANTIC_MODEL, check_connections, unbound_connections
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.deployment.plan_checks import check_data_items, check_references, check_smoke_tests
from fabctl.application.deployment.publish_plan import with_publish
from fabctl.application.deployment.shortcuts import with_shortcuts
from fabctl.application.deployment.target import TargetView
from fabctl.application.deployment.validation import findings_of, gate
from fabctl.application.deployment.value_set_plan import with_value_set
from fabctl.application.ports import DeployedItem
from fabctl.domain.binding import bind, check_all_rules_matched
from fabctl.domain.dangling import Reference
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import DomainError
from fabctl.domain.item_types import DATA_HOLDING_TYPES, SHELL_ONLY_TYPES
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.plan import ChangeKind, DeploymentPlan, PlannedChange
from fabctl.domain.references import dependency_order, references_by_key
from fabctl.domain.shortcuts import SHORTCUT_HOLDER
from fabctl.domain.validation.findings import Finding
from fabctl.domain.value_sets import VALUE_SET_HOLDER


class DesiredDefinitions(Mapping[ItemKey, ItemDefinition]):
    """Per item the plan creates or updates, its definition as it would be sent.

    Bound again from the source on each access, with the ids known at planning time, instead of
    being held: a plan over a large source keeps no definition alive.
    """

    def __init__(self, keys: Iterable[ItemKey], definition_of: Callable[[ItemKey], ItemDefinition]) -> None:
        self._keys = tuple(keys)
        self._known = frozenset(self._keys)
        self._definition_of = definition_of

    def __getitem__(self, key: ItemKey) -> ItemDefinition:
        if key not in self._known:
            raise KeyError(key)
        return self._definition_of(key)

    def __iter__(self) -> Iterator[ItemKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class PreparedDeployment:
    """A plan plus what executing it needs: the inputs and the target as it was read.

    `desired` gives, per item to create or update, the definition as it would be sent (bound on
    demand with the ids known at planning time); `view.definition(key)` gives the current one.
    `references` holds, per planned item, the source items it refers to, computed once here so
    that nobody reads the definitions again to find them.
    """

    inputs: DeploymentInputs
    view: TargetView
    plan: DeploymentPlan
    desired: Mapping[ItemKey, ItemDefinition] = field(default_factory=dict)
    references: Mapping[ItemKey, frozenset[ItemKey]] = field(default_factory=dict)
    # The newest transaction on the workspace when it was read ("" for none); None: not checked.
    # A deployment that committed in between makes this plan stale, and executing it is refused.
    journal_mark: str | None = None
    allow_dangling: bool = False  # the plan was made with --allow-dangling (journaled for a resume)


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
    references: Mapping[ItemKey, frozenset[ItemKey]] | None = None,
    allow_dangling: bool = False,
) -> PreparedDeployment:
    """Plan the deployment of the source (or of `only` these items of it) to the target.

    References resolve against the whole source, so a selected item still binds to an
    unselected one that the target already holds. `owned` is what fabctl deployed there: an item
    whose bound definition has the hash it recorded is unchanged without reading its definition
    back, unless `refresh` asks to compare with the live one. Orphans are owned items no longer
    in the source, except those last deployed from another source folder (`deployed_elsewhere`).
    `references` may hold what `references_by_key` already found (for a selection, say).

    Memory stays bounded by the largest definition, not the source: each item is bound, hashed,
    compared and dropped in turn; what the plan needs later (a diff, the executor) binds again.

    A reference that would dangle after the deployment is refused (see `domain/dangling.py`), or,
    for a logical id with `allow_dangling`, becomes one of the plan's warnings. Errors never show a
    value the rules took from `$ENV:`.
    """
    try:
        return _prepare(
            inputs, view, owned, only=only, delete_orphans=delete_orphans, delete_data_items=delete_data_items,
            refresh=refresh, deployed_elsewhere=deployed_elsewhere, references=references,
            allow_dangling=allow_dangling,
        )  # fmt: skip
    except DomainError as e:
        raise inputs.rules.redactions().redact_error(e) from None


def _prepare(
    inputs: DeploymentInputs,
    view: TargetView,
    owned: dict[ItemKey, DeployedItem],
    *,
    only: set[ItemKey] | None,
    delete_orphans: bool,
    delete_data_items: frozenset[ItemKey],
    refresh: bool,
    deployed_elsewhere: frozenset[ItemKey],
    references: Mapping[ItemKey, frozenset[ItemKey]] | None,
    allow_dangling: bool,
) -> PreparedDeployment:
    workspace_name = view.workspace.name if view.workspace else inputs.environment.workspace_name
    ids = {k: i.id for k, i in view.items.items()}
    asked: set[ItemKey] = set()  # the items whose `$items` values the item being bound uses
    connection_changes = plan_connections(view.gateway, inputs)  # a secret it cannot read: refused first
    context = binding_context(inputs, view.workspace_id, workspace_name, ids, gateway=view.gateway, asked=asked)
    bound_references: dict[ItemKey, set[Reference]] = {}
    context.references = bound_references  # what each planned item refers to, noted as it is bound
    known = references or {}
    planned = sorted(only) if only is not None else sorted(i.key for i in inputs.source)
    found = references_by_key(inputs.source, [k for k in planned if k not in known])
    refs = {k: known[k] if k in known else found[k] for k in planned if k in known or k in found}

    def desired_of(key: ItemKey) -> ItemDefinition:
        item = inputs.source.get(key)
        assert item is not None  # only keys of the source are planned
        return bind(item, inputs.rules, context)

    changes: dict[ItemKey, PlannedChange] = {}
    compare_live: list[ItemKey] = []
    unrecorded: set[ItemKey] = set()  # in the target, but not as fabctl last deployed this content there
    findings: dict[ItemKey, list[Finding]] = {}  # the validation gates', run while each definition is bound
    for key in dependency_order(inputs.source, only, refs):
        asked.clear()
        item, desired = inputs.source.get(key), desired_of(key)
        assert item is not None
        findings[key] = findings_of(item, desired, inputs.environment)
        # An item also depends on the items whose ids or endpoints its parameters put in it.
        refs[key] = refs[key] | frozenset(k for k in asked if k != key and k in inputs.source)
        remote = view.items.get(key)
        if remote is not None and not _as_recorded(desired, remote.id, owned.get(key)):
            unrecorded.add(key)
        if _needs_live_definition(item, desired, view, owned.get(key), refresh):
            compare_live.append(key)  # after the loop, with the live definitions read ahead in parallel
        else:
            changes[key] = _change_for(item, desired, view, owned.get(key), refresh)
    for key in view.read_ahead(compare_live):
        item = inputs.source.get(key)
        assert item is not None
        changes[key] = _change_for(item, desired_of(key), view, owned.get(key), refresh)
        if not changes[key].writes:
            view.forget(key)  # unchanged: neither a diff nor the executor's before-image needs it
    if only is not None:
        # A rule is checked against the whole source, as a full deployment would: selecting a few
        # items must not turn a rule that applies to the others into "matched nothing".
        for item in inputs.source:
            if item.key not in only:
                bind(item, inputs.rules, context)
                bound_references.pop(item.key, None)  # not deployed: what it refers to does not matter
    context.references = None  # later binds (a diff, the executor) note nothing
    check_all_rules_matched(inputs.rules, context)
    check_connections(view.gateway, inputs)
    order = dependency_order(inputs.source, only, refs)  # with the parameters' references: a cycle fails here
    planned_changes = [
        with_publish(
            _with_binding(changes[k], inputs, view), inputs.source.get(k), recorded=k not in unrecorded,
            gateway=view.gateway, workspace_id=view.workspace_id,
        )
        for k in order
    ]  # fmt: skip
    planned_changes = [
        with_value_set(
            c, inputs.source.get(c.key), inputs.environment.name, inputs.source_dir,
            gateway=view.gateway, workspace_id=view.workspace_id,
        )
        if c.key.type == VALUE_SET_HOLDER
        else c
        for c in planned_changes
    ]  # fmt: skip
    planned_changes = [
        with_shortcuts(c, inputs, desired_of(c.key), view.workspace_id, view.gateway)
        if c.key.type == SHORTCUT_HOLDER and inputs.environment.flags.deploy_shortcuts
        else c
        for c in planned_changes
    ]
    mine = {k: r for k, r in owned.items() if k not in deployed_elsewhere}
    check_data_items(delete_data_items, delete_orphans, inputs, view, mine, workspace_name)
    if delete_orphans:
        planned_changes.extend(_orphans(inputs, view, mine, delete_data_items))
    warnings = check_references(inputs, view, only, planned_changes, bound_references, allow_dangling)
    check_smoke_tests(inputs, view, only, planned_changes)
    written = (c.key for c in planned_changes if c.writes)
    warnings += gate(findings, written, inputs.environment, inputs.source_dir)  # errors refuse, before any write
    plan = DeploymentPlan(
        environment=inputs.environment.name,
        workspace_id=view.workspace_id,
        workspace_name=workspace_name,
        changes=tuple(planned_changes),
        folders_to_create=tuple(p for p in _folders_needed(inputs, only) if p not in view.folders),
        workspace_exists=view.workspace is not None,
        warnings=warnings,
        features=inputs.environment.flags.as_dict(),
        connections=connection_changes,
    )
    to_write = DesiredDefinitions((c.key for c in planned_changes if c.key in changes and c.writes), desired_of)
    return PreparedDeployment(inputs, view, plan, to_write, refs, allow_dangling=allow_dangling)


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


def _with_binding(change: PlannedChange, inputs: DeploymentInputs, view: TargetView) -> PlannedChange:
    """A deployed semantic model not bound to the connection its rule wants is updated (rebound)."""
    if change.key.type != SEMANTIC_MODEL or change.kind is ChangeKind.CREATE or view.gateway is None:
        return change
    rules, environment = inputs.rules, inputs.environment.name
    unbound = unbound_connections(
        view.gateway, view.workspace_id, change.item_id or "", change.key.name, rules, environment
    )
    if not unbound:
        return change
    reason = "not bound to connection " + ", ".join(unbound)
    if change.kind is ChangeKind.NO_OP:
        return replace(change, kind=ChangeKind.UPDATE, reason=reason)
    return replace(change, reason=f"{change.reason}; {reason}")


def _orphans(
    inputs: DeploymentInputs,
    view: TargetView,
    owned: dict[ItemKey, DeployedItem],
    delete_data_items: frozenset[ItemKey],
) -> list[PlannedChange]:
    env = inputs.environment
    if env.skip_unpublish:
        return []  # fabric-cicd's unpublish.skip for this environment: orphans stay
    orphans = []
    for key, record in sorted(owned.items()):
        if key in inputs.source or key not in view.items or view.items[key].id != record.item_id:
            continue  # still deployed, already gone, or replaced by an item fabctl did not deploy
        if key.type in DATA_HOLDING_TYPES and key not in delete_data_items:
            continue  # holds data: never deleted unless named explicitly
        if any(re.search(pattern, key.name) for pattern in env.unpublish_exclude_names):
            continue  # fabric-cicd's unpublish.exclude_regex: kept
        reason = "deployed by fabctl from this source, no longer in it"
        orphans.append(PlannedChange(ChangeKind.DELETE, key, reason, record.item_id))
    return orphans
