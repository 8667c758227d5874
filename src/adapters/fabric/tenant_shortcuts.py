"""OneLake shortcuts of a `FabricTenant`'s lakehouses (mixed into it).

A shortcut is a name at a path of a lakehouse (`Tables`, `Tables/<schema>`, `Files/...`) that points
at data elsewhere: another OneLake item (`target.oneLake`) or external storage reached through a
connection (`target.adlsGen2`, `target.amazonS3`, ...). Only lakehouses hold them here: KQL databases
also accept OneLake shortcuts in Fabric, but nothing fabctl or fabric-cicd deploys creates one, so
that surface is left out rather than guessed.

The tenant models no data, so "a target the tenant can reach" means: the OneLake workspace and item
exist, or the external target's connectionId is a connection of the tenant. A shortcut goes when its
lakehouse goes (`ON DELETE CASCADE`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric.tenant_errors import TenantError

SHORTCUT_HOLDERS = ("Lakehouse",)
CONFLICT_POLICIES = ("Abort", "GenerateUniqueName", "CreateOrOverwrite", "OverwriteOnly")
ROOTS = ("Tables", "Files")
# Fabric's target kinds (the `Target` object's properties) and the value of its read-only `type`.
TARGET_TYPES = {
    "oneLake": "OneLake",
    "adlsGen2": "AdlsGen2",
    "amazonS3": "AmazonS3",
    "googleCloudStorage": "GoogleCloudStorage",
    "s3Compatible": "S3Compatible",
    "dataverse": "Dataverse",
    "azureBlobStorage": "AzureBlobStorage",
    "oneDriveSharePoint": "OneDriveSharePoint",
    "externalDataShare": "ExternalDataShare",
}
_ONELAKE_FIELDS = ("workspaceId", "itemId", "path")


class ShortcutRefused(TenantError):
    """A shortcut the service refuses, with Fabric's `moreDetails` (what the recording shows for a
    target the tenant cannot reach): the HTTP layer sends them, the local gateway keeps the message."""

    def __init__(self, status: int, error_code: str, message: str, more_details: list[dict[str, str]]) -> None:
        super().__init__(status, error_code, message)
        self.more_details = more_details


def _refused(detail_code: str, detail: str) -> ShortcutRefused:
    return ShortcutRefused(
        400,
        "BadRequest",
        f"The shortcut could not be created: {detail}",
        [{"errorCode": detail_code, "message": detail}],
    )


def shortcut_not_found(path: str, name: str) -> TenantError:
    return TenantError(404, "EntityNotFound", f"The shortcut '{name}' at path '{path}' was not found")


@dataclass(frozen=True)
class ShortcutRecord:
    path: str
    name: str
    target: dict[str, Any]  # one kind, e.g. {"oneLake": {...}}; `type` is added on the way out

    def to_fabric(self) -> dict[str, Any]:
        kind = next(iter(self.target))
        return {"path": self.path, "name": self.name, "target": {"type": TARGET_TYPES[kind], **self.target}}


def _checked_path(path: object) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise _refused("InvalidShortcutPath", "path is required and must be a string such as 'Tables' or 'Files/raw'")
    clean = path.strip("/")
    if clean.split("/")[0] not in ROOTS or any(not s.strip() for s in clean.split("/")):
        raise _refused("InvalidShortcutPath", f"path '{path}' must be 'Tables', 'Tables/<schema>' or under 'Files'")
    if clean.startswith("Tables/") and clean.count("/") > 1:
        raise _refused("InvalidShortcutPath", f"path '{path}': a table shortcut is at most one schema deep")
    return clean


def _checked_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in '/\\:*?"<>|'):
        raise _refused("InvalidShortcutName", "name is required and must be a file name without '/'")
    return name


def _checked_target(db: sqlite3.Connection, target: object) -> dict[str, Any]:
    if not isinstance(target, dict):
        raise _refused("InvalidShortcutTarget", "target is required and must be an object")
    kinds = [k for k in target if k != "type"]
    if len(kinds) != 1 or kinds[0] not in TARGET_TYPES or not isinstance(target[kinds[0]], dict):
        raise _refused("InvalidShortcutTarget", "target must have exactly one of: " + ", ".join(sorted(TARGET_TYPES)))
    kind = kinds[0]
    spec = dict(target[kind])
    if kind == "oneLake":
        for name in _ONELAKE_FIELDS:
            if not isinstance(spec.get(name), str) or not spec[name]:
                raise _refused("InvalidShortcutTarget", f"target.oneLake.{name} is required and must be a string")
        spec["workspaceId"], spec["itemId"] = spec["workspaceId"].lower(), spec["itemId"].lower()
        found = db.execute(
            "SELECT 1 FROM items WHERE id = ? AND workspace_id = ?", (spec["itemId"], spec["workspaceId"])
        ).fetchone()
        if found is None:
            raise _refused(
                "ShortcutTargetNotFound",
                f"the target item {spec['itemId']} in workspace {spec['workspaceId']} cannot be reached",
            )
    else:
        connection = spec.get("connectionId")
        if not isinstance(connection, str) or not connection:
            raise _refused("InvalidShortcutTarget", f"target.{kind}.connectionId is required and must be a string")
        spec["connectionId"] = connection.lower()
        if db.execute("SELECT 1 FROM connections WHERE id = ?", (spec["connectionId"],)).fetchone() is None:
            raise _refused("ConnectionNotFound", f"the connection {connection} of the {kind} target cannot be reached")
    return {kind: spec}


def _record(row: sqlite3.Row) -> ShortcutRecord:
    return ShortcutRecord(row["path"], row["name"], json.loads(row["target"]))


class Shortcuts:
    """Needs the tenant's `_transaction` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]

    def _holder(self, db: sqlite3.Connection, workspace_id: str, item_id: str) -> None:
        rows.get_workspace(db, workspace_id)
        item = rows.get_item(db, workspace_id, item_id)
        if item.type not in SHORTCUT_HOLDERS:
            raise TenantError(
                400, "OperationNotSupportedForItem", f"Shortcuts are not supported for items of type {item.type}"
            )

    def list_shortcuts(self, workspace_id: str, item_id: str) -> list[ShortcutRecord]:
        with self._transaction() as db:
            self._holder(db, workspace_id, item_id)
            found = db.execute("SELECT * FROM shortcuts WHERE item_id = ? ORDER BY path, name", (item_id,))
            return [_record(r) for r in found]

    def get_shortcut(self, workspace_id: str, item_id: str, path: str, name: str) -> ShortcutRecord:
        with self._transaction() as db:
            self._holder(db, workspace_id, item_id)
            row = db.execute(
                "SELECT * FROM shortcuts WHERE item_id = ? AND path = ? AND name = ?", (item_id, path.strip("/"), name)
            ).fetchone()
            if row is None:
                raise shortcut_not_found(path, name)
            return _record(row)

    def create_shortcut(
        self, workspace_id: str, item_id: str, shortcut: dict[str, Any], conflict_policy: str = "Abort"
    ) -> ShortcutRecord:
        """Create (or, as `conflict_policy` allows, overwrite or rename) a shortcut; what was stored."""
        policy = next((p for p in CONFLICT_POLICIES if p.casefold() == conflict_policy.casefold()), None)
        if policy is None:
            raise _refused("InvalidParameter", f"shortcutConflictPolicy must be one of {', '.join(CONFLICT_POLICIES)}")
        with self._transaction(write=True) as db:
            self._holder(db, workspace_id, item_id)
            path, name = _checked_path(shortcut.get("path")), _checked_name(shortcut.get("name"))
            target = _checked_target(db, shortcut.get("target"))

            def exists(candidate: str) -> bool:
                query = "SELECT 1 FROM shortcuts WHERE item_id = ? AND path = ? AND name = ?"
                return db.execute(query, (item_id, path, candidate)).fetchone() is not None

            taken = exists(name)
            if taken and policy == "Abort":
                raise TenantError(409, "ShortcutAlreadyExists", f"A shortcut '{name}' already exists at '{path}'")
            if not taken and policy == "OverwriteOnly":
                raise shortcut_not_found(path, name)
            if taken and policy == "GenerateUniqueName":
                number = 1
                while exists(f"{name}_{number}"):
                    number += 1
                name = f"{name}_{number}"
            db.execute(
                "INSERT OR REPLACE INTO shortcuts VALUES (?, ?, ?, ?)",
                (item_id, path, name, json.dumps(target, sort_keys=True)),
            )
            return ShortcutRecord(path, name, target)

    def delete_shortcut(self, workspace_id: str, item_id: str, path: str, name: str) -> None:
        with self._transaction(write=True) as db:
            self._holder(db, workspace_id, item_id)
            gone = db.execute(
                "DELETE FROM shortcuts WHERE item_id = ? AND path = ? AND name = ?", (item_id, path.strip("/"), name)
            )
            if gone.rowcount == 0:
                raise shortcut_not_found(path, name)


def snapshot_shortcuts(db: sqlite3.Connection, item_id: str, *, ids: bool) -> list[dict[str, Any]]:
    """An item's shortcuts for the tenant's snapshot. Without `ids`, a OneLake target is named by its
    workspace and item names, so a tenant whose items were re-created with new ids compares equal."""
    found = []
    for row in db.execute("SELECT * FROM shortcuts WHERE item_id = ? ORDER BY path, name", (item_id,)):
        body = _record(row).to_fabric()
        onelake = body["target"].get("oneLake")
        if onelake is not None and not ids:
            target = db.execute(
                "SELECT i.type, i.display_name, w.display_name AS workspace FROM items i "
                "JOIN workspaces w ON w.id = i.workspace_id WHERE i.id = ?",
                (onelake["itemId"],),
            ).fetchone()
            named = (
                {"workspace": target["workspace"], "item": f"{target['display_name']}.{target['type']}"}
                if target
                else {}
            )
            body["target"]["oneLake"] = {"path": onelake["path"], **named}
        found.append(body)
    return found
