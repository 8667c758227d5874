"""Reading and writing the tenant's rows, inside a transaction the caller holds.

Lookups raise the 404 Fabric answers with, so every public operation checks existence the same way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric.tenant_records import (
    CapacityRecord,
    FolderRecord,
    ItemRecord,
    RoleAssignmentRecord,
    WorkspaceRecord,
    generated_platform,
)
from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart, ItemDefinition


def capacity(row: sqlite3.Row) -> CapacityRecord:
    return CapacityRecord(row["id"], row["display_name"], row["sku"], row["region"], row["state"])


def workspace(row: sqlite3.Row) -> WorkspaceRecord:
    return WorkspaceRecord(row["id"], row["display_name"], row["description"], row["capacity_id"])


def item(row: sqlite3.Row) -> ItemRecord:
    return ItemRecord(
        row["id"],
        row["workspace_id"],
        row["type"],
        row["display_name"],
        row["description"],
        row["folder_id"],
    )


def folder(row: sqlite3.Row) -> FolderRecord:
    return FolderRecord(row["id"], row["workspace_id"], row["display_name"], row["parent_id"])


def role_assignment(row: sqlite3.Row) -> RoleAssignmentRecord:
    return RoleAssignmentRecord(row["principal_id"], row["principal_type"], row["role"])


def get_workspace(db: sqlite3.Connection, workspace_id: str) -> WorkspaceRecord:
    row = db.execute("SELECT * FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
    if row is None:
        raise errors.not_found("Workspace", workspace_id)
    return workspace(row)


def get_item(db: sqlite3.Connection, workspace_id: str, item_id: str) -> ItemRecord:
    row = db.execute("SELECT * FROM items WHERE id = ? AND workspace_id = ?", (item_id, workspace_id)).fetchone()
    if row is None:
        raise errors.not_found("Item", item_id)
    return item(row)


def get_folder(db: sqlite3.Connection, workspace_id: str, folder_id: str) -> FolderRecord:
    row = db.execute("SELECT * FROM folders WHERE id = ? AND workspace_id = ?", (folder_id, workspace_id)).fetchone()
    if row is None:
        raise errors.not_found("Folder", folder_id)
    return folder(row)


def get_capacity(db: sqlite3.Connection, capacity_id: str) -> CapacityRecord:
    row = db.execute("SELECT * FROM capacities WHERE id = ?", (capacity_id,)).fetchone()
    if row is None:
        raise errors.not_found("Capacity", capacity_id)
    return capacity(row)


def insert_parts(db: sqlite3.Connection, item_id: str, parts: Sequence[DefinitionPart]) -> None:
    # Stored verbatim: the bytes a client sent are the bytes it gets back.
    db.executemany(
        "INSERT INTO definition_parts VALUES (?, ?, ?)",
        [(item_id, part.path, part.payload) for part in parts],
    )


def stored_parts(db: sqlite3.Connection, item_id: str) -> list[DefinitionPart]:
    found = db.execute("SELECT path, payload FROM definition_parts WHERE item_id = ? ORDER BY path", (item_id,))
    return [DefinitionPart(r["path"], bytes(r["payload"])) for r in found]


def observable_definition(db: sqlite3.Connection, record: ItemRecord) -> ItemDefinition:
    """What getDefinition answers: stored parts, plus a generated `.platform` if none was stored."""
    parts = stored_parts(db, record.id)
    if not any(p.path == PLATFORM_FILE for p in parts):
        parts.append(generated_platform(record))
    return ItemDefinition.of(parts)


def platform_metadata(part: DefinitionPart) -> tuple[str | None, str | None]:
    """The displayName and description a `.platform` part declares (None where absent)."""
    try:
        document = json.loads(part.payload.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise errors.invalid_platform_file("not JSON") from e
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict):
        raise errors.invalid_platform_file("no metadata object")
    name, description = metadata.get("displayName"), metadata.get("description")
    if not isinstance(name, str | None) or not isinstance(description, str | None):
        raise errors.invalid_platform_file("displayName and description must be strings")
    return name, description


def insert_item(db: sqlite3.Connection, record: ItemRecord, creation_payload: str | None) -> None:
    db.execute(
        "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.id,
            record.workspace_id,
            record.type,
            record.display_name,
            record.display_name.casefold(),
            record.description,
            record.folder_id,
            creation_payload,
        ),
    )


def set_item_metadata(db: sqlite3.Connection, item_id: str, name: str, description: str) -> None:
    db.execute(
        "UPDATE items SET display_name = ?, name_key = ?, description = ? WHERE id = ?",
        (name, name.casefold(), description, item_id),
    )


def insert_workspace(db: sqlite3.Connection, record: WorkspaceRecord, *, admin: str) -> None:
    db.execute(
        "INSERT INTO workspaces VALUES (?, ?, ?, ?, ?)",
        (
            record.id,
            record.display_name,
            record.display_name.casefold(),
            record.description,
            record.capacity_id,
        ),
    )
    # The creator is the workspace's first and only Admin, as in Fabric.
    db.execute("INSERT INTO role_assignments VALUES (?, ?, 'User', 'Admin')", (record.id, admin))


def set_workspace_metadata(db: sqlite3.Connection, workspace_id: str, name: str, description: str) -> None:
    db.execute(
        "UPDATE workspaces SET display_name = ?, name_key = ?, description = ? WHERE id = ?",
        (name, name.casefold(), description, workspace_id),
    )
