"""The rules the tenant enforces before it writes, each failing as Fabric does.

Display names are unique case-insensitively (the stricter reading of rules Microsoft leaves
unconfirmed): workspaces in the tenant, items per (workspace, type), folders per parent folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric.tenant_records import DEFINITIONLESS_TYPES
from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart
from fabctl.domain.item_types import DEFINITION_REQUIRED_TYPES, KNOWN_ITEM_TYPES

PAYLOAD_INSTEAD_OF_DEFINITION = frozenset({"KQLDatabase"})


def require_name(name: str, what: str) -> str:
    if not name.strip():
        raise errors.invalid_input(f"The {what} display name must not be empty")
    return name


def canonical(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` spelled as Fabric spells it: enums are accepted in any case, echoed canonically."""
    match = next((a for a in allowed if a.casefold() == value.casefold()), None)
    if match is None:
        expected = ", ".join(allowed)
        raise errors.invalid_input(f"Unknown {what} '{value}'; expected one of {expected}")
    return match


def check_item_type(item_type: str) -> None:
    if item_type not in KNOWN_ITEM_TYPES:
        raise errors.invalid_item_type(item_type)


def check_parts(parts: Sequence[DefinitionPart]) -> list[DefinitionPart]:
    paths = [p.path for p in parts]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise errors.duplicate_parts(duplicates)
    return list(parts)


def check_new_item(
    item_type: str,
    display_name: str,
    definition: Sequence[DefinitionPart] | None,
    creation_payload: dict[str, Any] | None,
) -> list[DefinitionPart]:
    """What a create request alone must satisfy; returns the definition's parts."""
    require_name(display_name, "item")
    check_item_type(item_type)
    parts = check_parts(definition or ())
    if definition is not None and creation_payload is not None:
        raise errors.definition_and_creation_payload()
    if parts and item_type in DEFINITIONLESS_TYPES:
        raise errors.no_definition_support(item_type)
    # A `.platform` alone is metadata, not a definition. A KQL database may instead be created from a
    # creationPayload naming its eventhouse (Fabric's documented alternative).
    from_payload = item_type in PAYLOAD_INSTEAD_OF_DEFINITION and bool(creation_payload)
    if item_type in DEFINITION_REQUIRED_TYPES and not from_payload and all(p.path == PLATFORM_FILE for p in parts):
        raise errors.missing_definition(item_type)
    return parts


def workspace_name_free(db: sqlite3.Connection, name: str, exclude_id: str | None = None) -> None:
    taken = db.execute(
        "SELECT 1 FROM workspaces WHERE name_key = ? AND id IS NOT ?",
        (name.casefold(), exclude_id),
    ).fetchone()
    if taken is not None:
        raise errors.workspace_name_in_use(name)


def item_name_free(
    db: sqlite3.Connection,
    workspace_id: str,
    item_type: str,
    name: str,
    now: datetime,
    exclude_id: str | None = None,
) -> None:
    """Fail unless `name` can be given to an item of `item_type` now.

    Unique per (workspace, type): a Lakehouse and its SQLEndpoint share a name. A name still
    reserved after a delete is refused; an expired reservation is dropped on the way.
    """
    key = (workspace_id, item_type, name.casefold())
    taken = db.execute(
        "SELECT 1 FROM items WHERE workspace_id = ? AND type = ? AND name_key = ? AND id IS NOT ?",
        (*key, exclude_id),
    ).fetchone()
    if taken is not None:
        raise errors.item_name_in_use(name)
    where = "WHERE workspace_id = ? AND type = ? AND name_key = ?"
    reserved = db.execute(f"SELECT available_at FROM reserved_names {where}", key).fetchone()
    if reserved is None:
        return
    if datetime.fromisoformat(reserved["available_at"]) > now:
        raise errors.item_name_not_available_yet(name)
    db.execute(f"DELETE FROM reserved_names {where}", key)


def folder_name_free(db: sqlite3.Connection, workspace_id: str, parent_id: str | None, name: str) -> None:
    taken = db.execute(
        "SELECT 1 FROM folders WHERE workspace_id = ? AND parent_id IS ? AND name_key = ?",
        (workspace_id, parent_id, name.casefold()),
    ).fetchone()
    if taken is not None:
        raise errors.folder_name_in_use(name)


def folder_empty(db: sqlite3.Connection, folder_id: str) -> None:
    holds = db.execute(
        "SELECT 1 FROM items WHERE folder_id = ? UNION ALL SELECT 1 FROM folders WHERE parent_id = ? LIMIT 1",
        (folder_id, folder_id),
    ).fetchone()
    if holds is not None:
        raise errors.folder_not_empty(folder_id)


def principal_without_role(db: sqlite3.Connection, workspace_id: str, principal_id: str) -> None:
    existing = db.execute(
        "SELECT 1 FROM role_assignments WHERE workspace_id = ? AND principal_id = ?",
        (workspace_id, principal_id),
    ).fetchone()
    if existing is not None:
        raise errors.principal_has_role(principal_id)
