"""What a plan checks before it may be executed: nothing it writes dangles, every flag and smoke test
names something.

Both raise a `DomainError` before any write (the plan is refused whole); see `domain/dangling.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.deployment.target import TargetView
from fabctl.application.ports import DeployedItem
from fabctl.domain.dangling import Reference, dangling, refuse
from fabctl.domain.errors import NotFound
from fabctl.domain.item_types import DATA_HOLDING_TYPES
from fabctl.domain.items import ItemKey
from fabctl.domain.plan import ChangeKind, PlannedChange


def check_references(
    inputs: DeploymentInputs,
    view: TargetView,
    only: set[ItemKey] | None,
    changes: list[PlannedChange],
    bound: Mapping[ItemKey, set[Reference]],
    allow_dangling: bool,
) -> tuple[str, ...]:
    """Refuse what would dangle after the deployment; the warnings for what `allow_dangling` lets be.

    What an item written refers to must be deployed or stay in the target. An item left unchanged
    is only checked against the deletions: what it held before, it holds still."""
    deleted = {c.key for c in changes if c.kind is ChangeKind.DELETE}
    deployed = set(only) if only is not None else {i.key for i in inputs.source}
    available = deployed | (view.items.keys() - deleted)
    written = {c.key: bound.get(c.key, set()) for c in changes if c.writes and c.kind is not ChangeKind.DELETE}
    kept = {c.key: {r for r in bound.get(c.key, set()) if r.target in deleted} for c in changes if not c.writes}
    found = dangling({**written, **kept}, available)
    return refuse(found, allowed=allow_dangling, subject=inputs.source_dir)


def check_data_items(
    named: frozenset[ItemKey],
    delete_orphans: bool,
    inputs: DeploymentInputs,
    view: TargetView,
    mine: dict[ItemKey, DeployedItem],
    workspace_name: str,
) -> None:
    """Each `--delete-data-item` must name an orphan holding data that `--delete-orphans` would delete."""
    if named and not delete_orphans:
        raise NotFound(
            "--delete-data-item is for an orphan that --delete-orphans deletes; add --delete-orphans",
            subject=inputs.source_dir,
            field="delete_data_items",
        )
    candidates = {
        k
        for k, record in mine.items()
        if k not in inputs.source and k in view.items and view.items[k].id == record.item_id
        and k.type in DATA_HOLDING_TYPES
    }  # fmt: skip
    unknown = sorted(named - candidates)
    if unknown:
        listed = ", ".join(str(k) for k in sorted(candidates)) or "none"
        raise NotFound(
            f"--delete-data-item {', '.join(repr(str(k)) for k in unknown)}: no orphan holding data that fabctl "
            f"deployed from this source into workspace '{workspace_name}' (those it could delete: {listed})",
            subject=inputs.source_dir,
            field="delete_data_items",
        )


def check_smoke_tests(
    inputs: DeploymentInputs, view: TargetView, only: set[ItemKey] | None, changes: list[PlannedChange]
) -> None:
    """Each of the environment's smoke tests names an item the workspace holds after the deployment:
    one the source deploys, or one the target keeps. Else the plan is refused, before any write, rather
    than the deployment failing after all of them."""
    deleted = {c.key for c in changes if c.kind is ChangeKind.DELETE}
    deployed = set(only) if only is not None else {i.key for i in inputs.source}
    there = (deployed | view.items.keys()) - deleted
    environment = inputs.environment
    for index, test in enumerate(environment.smoke_tests):
        if test.item not in there:
            raise NotFound(
                f"smoke test names {test.item}, "
                "which this deployment neither deploys nor finds in the target workspace",
                subject=inputs.config.source,
                field=f"environments.{environment.name}.smoke_tests[{index}].{test.check.value}",
            )
