"""A model of one Fabric tenant's control plane, kept in SQLite.

`FabricTenant` is what both the in-process gateway and the HTTP emulator serve, so the two cannot
behave differently. It speaks Fabric's vocabulary and fails with `TenantError`, carrying the
status and errorCode the real service answers with.

Every write is one committed SQLite transaction: a process killed at any instant leaves a
consistent tenant, and the next process sees exactly the writes that returned.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric import tenant_rules as rules
from fabctl.adapters.fabric.tenant_capacities import SettableCapacitiesAndRoles
from fabctl.adapters.fabric.tenant_connections import PoolsAndConnections
from fabctl.adapters.fabric.tenant_environments import ENVIRONMENT, EnvironmentPublishing, initial_publish
from fabctl.adapters.fabric.tenant_errors import TenantError
from fabctl.adapters.fabric.tenant_properties import ItemProperties, query_service, sql_endpoint
from fabctl.adapters.fabric.tenant_records import (
    DEFAULT_CAPACITY_ID,
    DEFINITIONLESS_TYPES,
    PRINCIPAL_TYPES,
    ROLES,
    CapacityRecord,
    FolderRecord,
    ItemRecord,
    QueryServiceRecord,
    RoleAssignmentRecord,
    SqlEndpointRecord,
    WorkspaceRecord,
)
from fabctl.adapters.fabric.tenant_schema import connect
from fabctl.adapters.fabric.tenant_shortcuts import Shortcuts
from fabctl.adapters.fabric.tenant_snapshot import build_snapshot
from fabctl.adapters.fabric.tenant_variable_libraries import VariableLibraries
from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart, ItemDefinition
from fabctl.domain.errors import UnusableStateFile

__all__ = ["FabricTenant", "TenantError"]

# Items whose service addresses Fabric provisions a while after creating them (a Lakehouse's or a
# Mirrored Database's SQL endpoint, an Eventhouse's query service); when each is ready is kept in `sql_endpoints`.
PROVISIONED_LATER = ("Lakehouse", "MirroredDatabase", "Eventhouse")


def _opened(target: str) -> sqlite3.Connection:
    """The tenant's connection, or `UnusableStateFile` when the file is not a database any more."""
    try:
        return connect(target)
    except sqlite3.DatabaseError as e:
        if (e.sqlite_errorcode & 0xFF) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise
        raise UnusableStateFile(
            f"is damaged ({e}), so the local Fabric it holds cannot be read: restore it from a backup, or "
            "move it aside (with its -wal and -shm files) to start again with an empty local Fabric, "
            "whose workspaces and items are then gone",
            subject=target,
        ) from e


class FabricTenant(
    PoolsAndConnections, ItemProperties, Shortcuts, EnvironmentPublishing, VariableLibraries, SettableCapacitiesAndRoles
):
    """One Fabric tenant: capacities, workspaces, role assignments, folders, items, definitions,
    Spark pools, connections and semantic model bindings (see `tenant_connections`), lakehouses'
    OneLake shortcuts (see `tenant_shortcuts`) and environment publishes (see `tenant_environments`).

    Display names are unique case-insensitively: workspaces in the tenant, items per
    (workspace, type), folders per parent folder.
    """

    def __init__(
        self,
        target: str = ":memory:",
        *,
        principal: str = "local-user",
        name_reservation_seconds: float = 0,
        sql_endpoint_seconds: float = 0,
        clock: Callable[[], datetime] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._connection = _opened(target)
        # One connection shared by worker threads: the lock keeps their transactions apart.
        self._lock = threading.Lock()
        self._principal = principal
        self._reservation = timedelta(seconds=name_reservation_seconds)
        self._sql_endpoint_delay = timedelta(seconds=sql_endpoint_seconds)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._new_id = new_id or (lambda: str(uuid.uuid4()))

    @classmethod
    def in_memory(cls, **options: Any) -> Self:
        return cls(":memory:", **options)

    @classmethod
    def at(cls, path: str | Path, **options: Any) -> Self:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        return cls(str(file), **options)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        # Reads run in a transaction too, so a multi-statement read sees one state. Writes take
        # SQLite's write lock up front, so check-then-insert cannot race another process.
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    # --- capacities and workspaces ------------------------------------------------------------

    def list_capacities(self) -> list[CapacityRecord]:
        with self._transaction() as db:
            return [rows.capacity(r) for r in db.execute("SELECT * FROM capacities ORDER BY rowid")]

    def list_workspaces(self) -> list[WorkspaceRecord]:
        with self._transaction() as db:
            return [rows.workspace(r) for r in db.execute("SELECT * FROM workspaces ORDER BY rowid")]

    def get_workspace(self, workspace_id: str) -> WorkspaceRecord:
        with self._transaction() as db:
            return rows.get_workspace(db, workspace_id)

    def find_workspace(self, name: str) -> WorkspaceRecord | None:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM workspaces WHERE name_key = ?", (name.casefold(),)).fetchone()
            return None if row is None else rows.workspace(row)

    def create_workspace(
        self, name: str, capacity_id: str | None = None, description: str = "", *, creator: str | None = None
    ) -> WorkspaceRecord:
        """The workspace, its `creator` (the caller's object id; else the tenant's principal) its Admin."""
        rules.require_name(name, "workspace")
        with self._transaction(write=True) as db:
            rules.workspace_name_free(db, name)
            capacity = rows.get_capacity(db, capacity_id or DEFAULT_CAPACITY_ID)
            workspace = WorkspaceRecord(self._new_id(), name, description, capacity.id)
            rows.insert_workspace(db, workspace, admin=creator or self._principal)
            return workspace

    def update_workspace(
        self, workspace_id: str, display_name: str | None = None, description: str | None = None
    ) -> WorkspaceRecord:
        with self._transaction(write=True) as db:
            current = rows.get_workspace(db, workspace_id)
            name = rules.require_name(current.display_name if display_name is None else display_name, "workspace")
            rules.workspace_name_free(db, name, exclude_id=workspace_id)
            text = current.description if description is None else description
            rows.set_workspace_metadata(db, workspace_id, name, text)
            return rows.get_workspace(db, workspace_id)

    def delete_workspace(self, workspace_id: str) -> None:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            # Items first: their folder references would otherwise block the folders' cascade.
            db.execute("DELETE FROM items WHERE workspace_id = ?", (workspace_id,))
            db.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
            db.execute("DELETE FROM spark_pools WHERE scope_id = ? AND type = 'Workspace'", (workspace_id,))

    def assign_to_capacity(self, workspace_id: str, capacity_id: str) -> None:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            capacity = rows.get_capacity(db, capacity_id)
            db.execute("UPDATE workspaces SET capacity_id = ? WHERE id = ?", (capacity.id, workspace_id))

    def unassign_from_capacity(self, workspace_id: str) -> None:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            db.execute("UPDATE workspaces SET capacity_id = NULL WHERE id = ?", (workspace_id,))

    def list_role_assignments(self, workspace_id: str) -> list[RoleAssignmentRecord]:
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            found = db.execute(
                "SELECT * FROM role_assignments WHERE workspace_id = ? ORDER BY rowid",
                (workspace_id,),
            )
            return [rows.role_assignment(r) for r in found]

    def add_role_assignment(
        self, workspace_id: str, principal_id: str, principal_type: str, role: str
    ) -> RoleAssignmentRecord:
        # Fabric accepts enum values in any case and echoes them in canonical case.
        assignment = RoleAssignmentRecord(
            principal_id,
            rules.canonical(principal_type, PRINCIPAL_TYPES, "principal type"),
            rules.canonical(role, ROLES, "role"),
        )
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            rules.principal_without_role(db, workspace_id, principal_id)
            db.execute(
                "INSERT INTO role_assignments VALUES (?, ?, ?, ?)",
                (workspace_id, principal_id, assignment.principal_type, assignment.role),
            )
            return assignment

    # --- items -------------------------------------------------------------------------------

    def create_item(
        self,
        workspace_id: str,
        item_type: str,
        display_name: str,
        description: str = "",
        definition: Sequence[DefinitionPart] | None = None,
        folder_id: str | None = None,
        creation_payload: dict[str, Any] | None = None,
    ) -> ItemRecord:
        parts = rules.check_new_item(item_type, display_name, definition, creation_payload)
        with self._transaction(write=True) as db:
            if rows.get_workspace(db, workspace_id).capacity_id is None:
                raise errors.no_capacity(workspace_id)
            if folder_id is not None:
                rows.get_folder(db, workspace_id, folder_id)
            rules.item_name_free(db, workspace_id, item_type, display_name, self._clock())
            item = ItemRecord(self._new_id(), workspace_id, item_type, display_name, description, folder_id)
            payload = None if creation_payload is None else json.dumps(creation_payload)
            rows.insert_item(db, item, payload)
            rows.insert_parts(db, item.id, parts)
            now = self._clock()
            db.execute("INSERT INTO item_times VALUES (?, ?, ?)", (item.id, now.isoformat(), now.isoformat()))
            if item_type in PROVISIONED_LATER:
                ready_at = now + self._sql_endpoint_delay
                db.execute("INSERT INTO sql_endpoints VALUES (?, ?)", (item.id, ready_at.isoformat()))
            if item_type == ENVIRONMENT:
                initial_publish(db, item.id, self._clock())
            return item

    def get_item(self, workspace_id: str, item_id: str) -> ItemRecord:
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            return rows.get_item(db, workspace_id, item_id)

    def list_items(self, workspace_id: str, item_type: str | None = None) -> list[ItemRecord]:
        """Every item of the workspace, oldest first (paging is the HTTP layer's business)."""
        if item_type is not None:
            rules.check_item_type(item_type)
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            found = db.execute(
                "SELECT * FROM items WHERE workspace_id = ? AND ifnull(?, type) = type ORDER BY rowid",
                (workspace_id, item_type),
            )
            return [rows.item(r) for r in found]

    def update_item(
        self,
        workspace_id: str,
        item_id: str,
        display_name: str | None = None,
        description: str | None = None,
    ) -> ItemRecord:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            return self._update_metadata(db, workspace_id, item_id, display_name, description)

    def delete_item(self, workspace_id: str, item_id: str) -> None:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            item = rows.get_item(db, workspace_id, item_id)
            db.execute("DELETE FROM items WHERE id = ?", (item_id,))
            if self._reservation > timedelta(0):
                db.execute(
                    "INSERT OR REPLACE INTO reserved_names VALUES (?, ?, ?, ?)",
                    (
                        workspace_id,
                        item.type,
                        item.display_name.casefold(),
                        (self._clock() + self._reservation).isoformat(),
                    ),
                )

    def get_definition(self, workspace_id: str, item_id: str) -> ItemDefinition:
        """The stored parts, plus the `.platform` the service generates when none was stored."""
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            item = rows.get_item(db, workspace_id, item_id)
            if item.type in DEFINITIONLESS_TYPES:
                raise errors.no_definition_support(item.type)
            return rows.observable_definition(db, item)

    def update_definition(
        self,
        workspace_id: str,
        item_id: str,
        parts: Sequence[DefinitionPart],
        update_metadata: bool = False,
    ) -> None:
        """Replace every stored part with `parts`.

        With `update_metadata`, a `.platform` part's displayName/description also apply to the
        item; without it the part is stored but its metadata ignored, as the service does.
        """
        checked = rules.check_parts(parts)
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            item = rows.get_item(db, workspace_id, item_id)
            if item.type in DEFINITIONLESS_TYPES:
                raise errors.no_definition_support(item.type)
            platform = next((p for p in checked if p.path == PLATFORM_FILE), None)
            if update_metadata and platform is not None:
                name, description = rows.platform_metadata(platform)
                self._update_metadata(db, workspace_id, item_id, name, description)
            db.execute("DELETE FROM definition_parts WHERE item_id = ?", (item_id,))
            rows.insert_parts(db, item_id, checked)
            self._touched(db, item_id)

    def _provisioned_item(self, workspace_id: str, item_id: str, item_type: str) -> bool:
        """Whether what Fabric provisions after creating the `item_type` item is there yet (404 for another type)."""
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            if rows.get_item(db, workspace_id, item_id).type != item_type:
                raise errors.not_found("Item", item_id)
            return self._provisioned(db, item_id)

    def get_sql_endpoint(self, workspace_id: str, lakehouse_id: str) -> SqlEndpointRecord:
        """The SQL endpoint of a Lakehouse: "InProgress" until `sql_endpoint_seconds` have passed."""
        return sql_endpoint(lakehouse_id, self._provisioned_item(workspace_id, lakehouse_id, "Lakehouse"))

    def get_query_service(self, workspace_id: str, eventhouse_id: str) -> QueryServiceRecord:
        """An Eventhouse's query and ingestion URIs: not there until `sql_endpoint_seconds` have passed
        (Fabric provisions them after creating the item, as it does a Lakehouse's SQL endpoint)."""
        return query_service(eventhouse_id, self._provisioned_item(workspace_id, eventhouse_id, "Eventhouse"))

    def _provisioned(self, db: sqlite3.Connection, item_id: str) -> bool:
        # No row: an item of an older file, provisioned long ago.
        row = db.execute("SELECT ready_at FROM sql_endpoints WHERE item_id = ?", (item_id,)).fetchone()
        return row is None or datetime.fromisoformat(row["ready_at"]) <= self._clock()

    def move_item(self, workspace_id: str, item_id: str, folder_id: str | None) -> ItemRecord:
        """Move an item into a folder, or to the workspace root when `folder_id` is None."""
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            rows.get_item(db, workspace_id, item_id)
            if folder_id is not None:
                rows.get_folder(db, workspace_id, folder_id)
            db.execute("UPDATE items SET folder_id = ? WHERE id = ?", (folder_id, item_id))
            return rows.get_item(db, workspace_id, item_id)

    # --- folders -----------------------------------------------------------------------------

    def create_folder(self, workspace_id: str, display_name: str, parent_id: str | None = None) -> FolderRecord:
        rules.require_name(display_name, "folder")
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            if parent_id is not None:
                rows.get_folder(db, workspace_id, parent_id)
            rules.folder_name_free(db, workspace_id, parent_id, display_name)
            folder = FolderRecord(self._new_id(), workspace_id, display_name, parent_id)
            db.execute(
                "INSERT INTO folders VALUES (?, ?, ?, ?, ?)",
                (folder.id, workspace_id, display_name, display_name.casefold(), parent_id),
            )
            return folder

    def list_folders(self, workspace_id: str) -> list[FolderRecord]:
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            found = db.execute("SELECT * FROM folders WHERE workspace_id = ? ORDER BY rowid", (workspace_id,))
            return [rows.folder(r) for r in found]

    def get_folder(self, workspace_id: str, folder_id: str) -> FolderRecord:
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            return rows.get_folder(db, workspace_id, folder_id)

    def rename_folder(self, workspace_id: str, folder_id: str, display_name: str) -> FolderRecord:
        rules.require_name(display_name, "folder")
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            folder = rows.get_folder(db, workspace_id, folder_id)
            if display_name.casefold() != folder.display_name.casefold():
                rules.folder_name_free(db, workspace_id, folder.parent_id, display_name)
            db.execute(
                "UPDATE folders SET display_name = ?, name_key = ? WHERE id = ?",
                (display_name, display_name.casefold(), folder_id),
            )
            return rows.get_folder(db, workspace_id, folder_id)

    def move_folder(self, workspace_id: str, folder_id: str, parent_id: str | None) -> FolderRecord:
        """Move a folder (with its contents) under `parent_id`, or to the root when None."""
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            folder = rows.get_folder(db, workspace_id, folder_id)
            ancestor = parent_id
            while ancestor is not None:  # a folder cannot end up inside itself
                if ancestor == folder_id:
                    raise errors.invalid_input("A folder cannot be moved into itself or its subfolders")
                ancestor = rows.get_folder(db, workspace_id, ancestor).parent_id
            if parent_id != folder.parent_id:
                rules.folder_name_free(db, workspace_id, parent_id, folder.display_name)
            db.execute("UPDATE folders SET parent_id = ? WHERE id = ?", (parent_id, folder_id))
            return rows.get_folder(db, workspace_id, folder_id)

    def delete_folder(self, workspace_id: str, folder_id: str) -> None:
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            rows.get_folder(db, workspace_id, folder_id)
            rules.folder_empty(db, folder_id)
            db.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    # --- snapshot and reset -------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every workspace (and all they hold), pool and connection; the capacities stay."""
        with self._transaction(write=True) as db:
            # Items first: their folder references would otherwise block the folders' cascade.
            db.execute("DELETE FROM items")
            db.execute("DELETE FROM workspaces")
            db.execute("DELETE FROM spark_pools")
            db.execute("DELETE FROM connections")

    def snapshot(self, *, ids: bool = True) -> dict[str, Any]:
        """Everything the tenant holds as a JSON-able dict, in a deterministic order.

        With `ids=False` generated ids are left out (folders are named by path instead), so a
        tenant whose items were re-created with new ids, e.g. by a rollback, compares equal.
        """
        with self._transaction() as db:
            snapshot: dict[str, Any] = build_snapshot(db, ids=ids, now=self._clock())
            return snapshot

    # --- shared by update_item and update_definition ----------------------------------------

    def _update_metadata(
        self,
        db: sqlite3.Connection,
        workspace_id: str,
        item_id: str,
        display_name: str | None,
        description: str | None,
    ) -> ItemRecord:
        item = rows.get_item(db, workspace_id, item_id)
        name = rules.require_name(item.display_name if display_name is None else display_name, "item")
        if name.casefold() != item.display_name.casefold():
            rules.item_name_free(db, workspace_id, item.type, name, self._clock(), item_id)
        text = item.description if description is None else description
        rows.set_item_metadata(db, item_id, name, text)
        self._touched(db, item_id)
        return rows.get_item(db, workspace_id, item_id)

    def _touched(self, db: sqlite3.Connection, item_id: str) -> None:
        db.execute("UPDATE item_times SET updated_at = ? WHERE item_id = ?", (self._clock().isoformat(), item_id))
