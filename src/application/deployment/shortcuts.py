"""A lakehouse's OneLake shortcuts, deployed from its `shortcuts.metadata.json` (ADR 0026).

The file, once parameterized and its logical ids resolved like any part, is what the lakehouse's
shortcuts must be: the plan lists the creates, updates and deletes that make the live shortcuts match
(one read of them per existing lakehouse), and the executor makes them after the lakehouse's own
write, each a journaled step whose before-image is the shortcut as it was, so a rollback or a revert
puts it back exactly. A lakehouse without the file keeps whatever shortcuts it has.
"""

from __future__ import annotations

from dataclasses import replace

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.ports import FabricGateway
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.items import Item
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.shortcuts import (
    SHORTCUT_HOLDER,
    SHORTCUTS_PART,
    Shortcut,
    ShortcutChange,
    ShortcutChangeKind,
    ShortcutWrite,
    diff_shortcuts,
    parse_shortcuts,
    resolve_defaults,
)


def declared_shortcuts(item: Item, desired: ItemDefinition, source_dir: str) -> tuple[Shortcut, ...] | None:
    """The shortcuts the bound `shortcuts.metadata.json` of a lakehouse declares; None without the file.

    A file that is not a JSON list of shortcuts is `InvalidSource` naming the file and the field."""
    if item.type != SHORTCUT_HOLDER:
        return None
    part = next((p for p in desired.parts if p.path == SHORTCUTS_PART), None)
    if part is None:
        return None
    relative = f"{item.source_path}/{SHORTCUTS_PART}" if item.source_path else SHORTCUTS_PART
    origin = f"{source_dir.rstrip('/')}/{relative}" if source_dir else relative
    return parse_shortcuts(part.normalized().decode("utf-8", errors="replace"), origin)


def live_changes(
    gateway: FabricGateway, workspace_id: str, lakehouse_id: str, declared: tuple[Shortcut, ...]
) -> tuple[ShortcutChange, ...]:
    live = gateway.list_shortcuts(workspace_id, lakehouse_id)
    return diff_shortcuts(resolve_defaults(declared, workspace_id, lakehouse_id), live)


def with_shortcuts(
    change: PlannedChange,
    inputs: DeploymentInputs,
    desired: ItemDefinition,
    workspace_id: str,
    gateway: FabricGateway | None,
) -> PlannedChange:
    """The planned change of a lakehouse with its shortcut writes; an unchanged lakehouse whose
    shortcuts differ from its file becomes an update. Other items, and deletions, are left as they are."""
    item = inputs.source.get(change.key)
    if item is None or change.kind is ChangeKind.DELETE:
        return change
    declared = declared_shortcuts(item, desired, inputs.source_dir)
    if declared is None:
        return change
    if change.kind is ChangeKind.CREATE:
        writes = tuple(ShortcutChange(ShortcutChangeKind.CREATE, s.address, s, None).describe() for s in declared)
    elif gateway is None or not change.item_id:
        return change  # no Fabric to read the live shortcuts from: nothing to compare with
    else:
        writes = tuple(c.describe() for c in live_changes(gateway, workspace_id, change.item_id, declared))
    if not writes:
        return change
    reason = "shortcuts differ: " + ", ".join(writes)
    if change.kind is ChangeKind.NO_OP:
        return replace(change, kind=ChangeKind.UPDATE, reason=reason, shortcuts=writes)
    return replace(change, reason=f"{change.reason}; {reason}", shortcuts=writes)


def set_shortcut(
    gateway: FabricGateway, workspace_id: str, lakehouse_id: str, path: str, name: str, shortcut: Shortcut | None
) -> None:
    """Make the shortcut at `path`/`name` of the lakehouse `shortcut` (None: absent)."""
    if shortcut is None:
        gateway.delete_shortcut(workspace_id, lakehouse_id, path, name)
    else:
        gateway.put_shortcut(workspace_id, lakehouse_id, shortcut)


def undo_shortcut(gateway: FabricGateway, workspace_id: str, lakehouse_id: str, write: ShortcutWrite) -> None:
    """Put the shortcut back as it was before `write` (absent, or its old target)."""
    set_shortcut(gateway, workspace_id, lakehouse_id, write.path, write.name, write.before)


def current_shortcut(gateway: FabricGateway, workspace_id: str, lakehouse_id: str, address: str) -> Shortcut | None:
    """The live shortcut at `address` (path/name) of the lakehouse, None when there is none."""
    return next((s for s in gateway.list_shortcuts(workspace_id, lakehouse_id) if s.address == address), None)
