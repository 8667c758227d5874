"""Activating a Variable Library's value set for the target environment, as fabric-cicd does after it
publishes a library (ADR 0028; the rule is `domain/value_sets.py`).

The plan reads each existing library's active set (one read per library) and marks the change to
activate the wanted one when it differs; an unchanged library with the wrong set active becomes an
update, so a no-op redeploy with the right set active makes no write. A created library is always
activated (Fabric starts it on its default values). The executor activates after the library's
own write (`value_set_writes.py`), as a journaled step whose before and after are the set names; a
rollback puts the previous set back once the library's definition is restored (the previous set may
be one the new definition dropped).
"""

from __future__ import annotations

from dataclasses import replace

from fabctl.application.ports import FabricGateway
from fabctl.domain.items import Item
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.value_sets import ValueSetWrite, value_set_for


def with_value_set(
    change: PlannedChange,
    item: Item | None,
    environment: str,
    source_dir: str,
    *,
    gateway: FabricGateway | None,
    workspace_id: str,
) -> PlannedChange:
    """`change`, with the value set to activate after it when the library's active one is not it."""
    if item is None or change.kind is ChangeKind.DELETE:
        return change
    wanted = value_set_for(item, environment, source_dir)
    if wanted is None:
        return change
    if change.kind is ChangeKind.CREATE:
        return replace(change, value_set=wanted, reason=f"{change.reason}; then activate value set '{wanted}'")
    if gateway is None or not change.item_id:
        return change  # no Fabric to read the active set from: nothing to compare with
    active = gateway.get_active_value_set(workspace_id, change.item_id)
    if active == wanted:
        return change
    reason = f"value set '{active}' is active: activate '{wanted}'"
    if change.kind is ChangeKind.NO_OP:
        return replace(change, kind=ChangeKind.UPDATE, reason=reason, value_set=wanted)
    return replace(change, reason=f"{change.reason}; {reason}", value_set=wanted)


def undo_activation(gateway: FabricGateway, workspace_id: str, library_id: str, write: ValueSetWrite) -> None:
    """Put the library's previous value set back (whether the activation landed or not)."""
    gateway.set_active_value_set(workspace_id, library_id, write.before)
