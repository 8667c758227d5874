"""Which planned changes publish an Environment (ADR 0025): writing its definition only stages its
settings and libraries, so the deployment publishes it after every write of its definition (created
with one, or with parts that differ). A change that writes no definition publishes nothing, with one
exception: an Environment fabctl has not recorded as deployed with this content whose latest publish
failed (a deployment that failed at its publish and was not rolled back) is published again."""

from __future__ import annotations

from dataclasses import replace

from fabctl.application.ports import FabricGateway
from fabctl.domain.item_types import PUBLISHED_TYPES
from fabctl.domain.items import Item
from fabctl.domain.plan import ChangeKind, PlannedChange

UNPUBLISHED_STATES = frozenset({"failed", "cancelled"})


def with_publish(
    change: PlannedChange, item: Item | None, *, recorded: bool, gateway: FabricGateway | None, workspace_id: str
) -> PlannedChange:
    """`change`, marked to publish when it writes the definition of an item that must be published.

    `recorded`: fabctl's records say the target holds this content as fabctl deployed it (then no call
    is made: a no-op redeploy asks nothing more)."""
    if item is None or item.type not in PUBLISHED_TYPES or item.definition.is_empty:
        return change
    if change.kind is ChangeKind.CREATE or (change.kind is ChangeKind.UPDATE and change.changed_parts):
        return replace(change, publish=True, reason=f"{change.reason}; then publish")
    if recorded or gateway is None or change.item_id is None:
        return change
    state = gateway.get_environment_publish_state(workspace_id, change.item_id)
    if state.casefold() not in UNPUBLISHED_STATES:
        return change
    reason = f"its latest publish ended {state}: publish"
    if change.kind is ChangeKind.NO_OP:
        return replace(change, kind=ChangeKind.UPDATE, reason=reason, publish=True)
    return replace(change, reason=f"{change.reason}; {reason}", publish=True)
