"""The whole tenant as one JSON-able dict, ordered so equal tenants give byte-equal JSON."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric.tenant_environments import ENVIRONMENT, publish_details
from fabctl.adapters.fabric.tenant_records import (
    DEFINITIONLESS_TYPES,
    FolderRecord,
    ItemRecord,
    part_to_json,
)
from fabctl.adapters.fabric.tenant_shortcuts import snapshot_shortcuts
from fabctl.adapters.fabric.tenant_variable_libraries import VARIABLE_LIBRARY, active_value_set


def build_snapshot(db: sqlite3.Connection, *, ids: bool, now: datetime) -> dict[str, Any]:
    capacities = [c.to_fabric() for c in map(rows.capacity, db.execute("SELECT * FROM capacities ORDER BY id"))]
    workspaces = []
    # Sorted by names (unique per scope) before ids, so order never depends on generated ids.
    for row in db.execute("SELECT * FROM workspaces ORDER BY name_key, display_name, id").fetchall():
        workspace = rows.workspace(row).to_fabric()
        workspace.pop("type")
        if not ids:
            workspace.pop("id")
        workspace["roleAssignments"] = [
            rows.role_assignment(r).to_fabric()
            for r in db.execute(
                "SELECT * FROM role_assignments WHERE workspace_id = ? ORDER BY principal_id",
                (row["id"],),
            )
        ]
        folders = {
            f.id: f
            for f in map(
                rows.folder,
                db.execute("SELECT * FROM folders WHERE workspace_id = ?", (row["id"],)),
            )
        }
        workspace["folders"] = sorted(
            (_folder(f, folders, ids) for f in folders.values()),
            key=lambda f: (f["path"].casefold(), f["path"]),
        )
        workspace["items"] = [
            _item(db, rows.item(r), folders, ids, now)
            for r in db.execute(
                "SELECT * FROM items WHERE workspace_id = ? ORDER BY type, name_key, display_name, id",
                (row["id"],),
            )
        ]
        workspaces.append(workspace)
    return {"capacities": capacities, "workspaces": workspaces}


def _path(folder_id: str, folders: dict[str, FolderRecord]) -> str:
    names: list[str] = []
    current: str | None = folder_id
    while current is not None:
        folder = folders[current]
        names.append(folder.display_name)
        current = folder.parent_id
    return "/".join(reversed(names))


def _folder(folder: FolderRecord, folders: dict[str, FolderRecord], ids: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"path": _path(folder.id, folders)}
    if ids:
        body["id"] = folder.id
        if folder.parent_id is not None:
            body["parentFolderId"] = folder.parent_id
    return body


def _item(
    db: sqlite3.Connection, item: ItemRecord, folders: dict[str, FolderRecord], ids: bool, now: datetime
) -> dict[str, Any]:
    body: dict[str, Any] = item.to_fabric()
    body.pop("workspaceId")
    if not ids:
        body.pop("id")
        body.pop("folderId", None)
    if item.folder_id is not None:
        body["folder"] = _path(item.folder_id, folders)
    payload = db.execute("SELECT creation_payload FROM items WHERE id = ?", (item.id,)).fetchone()
    if payload["creation_payload"] is not None:
        body["creationPayload"] = json.loads(payload["creation_payload"])
    # The definition as a client observes it (generated `.platform` included), so an item
    # re-created from what getDefinition returned compares equal to the original.
    if item.type in DEFINITIONLESS_TYPES:
        body["definition"] = None
    else:
        definition = rows.observable_definition(db, item)
        body["definition"] = {"parts": [part_to_json(p) for p in definition.parts]}
    shortcuts = snapshot_shortcuts(db, item.id, ids=ids)
    if shortcuts:  # only items that have some: snapshots of tenants without shortcuts keep their shape
        body["shortcuts"] = shortcuts
    if item.type == ENVIRONMENT:  # what is published, not when: equal tenants stay equal
        details = publish_details(db, item.id, now)
        body["publish"] = {"state": details.state, "stagedChanged": details.staged_changed}
    if item.type == VARIABLE_LIBRARY:
        body["activeValueSetName"] = active_value_set(db, item.id)
    return body
