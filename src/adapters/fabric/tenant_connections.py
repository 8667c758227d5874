"""Spark pools, connections and semantic model bindings of a `FabricTenant` (mixed into it).

Pools: every workspace lists the Starter Pool (type Workspace, an id derived from the workspace), its
own custom pools, and the pools of the capacity it is assigned to. Connections belong to the tenant.
A model's binding is stored per data source (connection type + path), as `bindConnection` replaces it;
the data sources themselves are read from the model's definition when its connections are listed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric import tenant_rules as rules
from fabctl.adapters.fabric.model_sources import data_sources, is_model_expression_part
from fabctl.adapters.fabric.tenant_records import (
    CONNECTIVITY_TYPES,
    POOL_TYPES,
    STARTER_POOL_NAME,
    UNBOUND_CONNECTIVITY,
    ConnectionRecord,
    ConnectionSettings,
    ItemConnectionRecord,
    SparkPoolRecord,
)


def starter_pool_id(workspace_id: str) -> str:
    # Derived, not drawn from `new_id`: stable, and never the zero GUID (binding rewrites that one).
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fabric-starter-pool:{workspace_id}"))


def _connection(row: sqlite3.Row) -> ConnectionRecord:
    settings = ConnectionSettings.from_json(row["settings"])
    return ConnectionRecord(
        row["id"], row["display_name"], row["connectivity_type"], row["connection_type"], row["path"], settings
    )


def credentials_digest(credentials: Mapping[str, object]) -> str:
    """What the tenant keeps of written credentials: a digest of their canonical JSON, never a value."""
    return hashlib.sha256(json.dumps(credentials, sort_keys=True).encode("utf-8")).hexdigest()


def _serves(connection: ConnectionRecord, connection_type: str, path: str) -> bool:
    return connection.connection_type.casefold() == connection_type.casefold() and _same_path(connection.path, path)


def _same_path(a: str, b: str) -> bool:
    # fabric-cicd restores OneLake's trailing slash before binding; both forms name one path.
    return a.rstrip("/").casefold() == b.rstrip("/").casefold()


class PoolsAndConnections:
    """Needs the tenant's `_transaction` and `_new_id` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]
    _new_id: Callable[[], str]

    # --- spark pools -----------------------------------------------------------------------------

    def list_spark_pools(self, workspace_id: str) -> list[SparkPoolRecord]:
        with self._transaction() as db:
            workspace = rows.get_workspace(db, workspace_id)
            found = db.execute(
                "SELECT * FROM spark_pools WHERE (scope_id = ? AND type = 'Workspace') "
                "OR (scope_id = ? AND type = 'Capacity') ORDER BY rowid",
                (workspace_id, workspace.capacity_id or ""),
            )
            pools = [SparkPoolRecord(r["id"], r["name"], r["type"]) for r in found]
        return [SparkPoolRecord(starter_pool_id(workspace_id), STARTER_POOL_NAME, "Workspace"), *pools]

    def create_spark_pool(self, workspace_id: str, name: str, pool_type: str = "Workspace") -> SparkPoolRecord:
        """A custom pool of the workspace, or (type Capacity) of the capacity the workspace is on."""
        kind = rules.canonical(pool_type, POOL_TYPES, "pool type")
        rules.require_name(name, "pool")
        with self._transaction(write=True) as db:
            workspace = rows.get_workspace(db, workspace_id)
            scope = workspace_id if kind == "Workspace" else workspace.capacity_id
            if scope is None:
                raise errors.no_capacity(workspace_id)
            taken = db.execute(
                "SELECT 1 FROM spark_pools WHERE scope_id = ? AND type = ? AND name_key = ?",
                (scope, kind, name.casefold()),
            ).fetchone()
            if taken or (kind == "Workspace" and name.casefold() == STARTER_POOL_NAME.casefold()):
                raise errors.pool_name_in_use(name)
            pool = SparkPoolRecord(self._new_id(), name, kind)
            db.execute("INSERT INTO spark_pools VALUES (?, ?, ?, ?, ?)", (pool.id, scope, kind, name, name.casefold()))
            return pool

    # --- connections -----------------------------------------------------------------------------

    def list_connections(self) -> list[ConnectionRecord]:
        with self._transaction() as db:
            return [_connection(r) for r in db.execute("SELECT * FROM connections ORDER BY rowid")]

    def create_connection(
        self,
        display_name: str,
        connection_type: str,
        path: str,
        connectivity_type: str = "ShareableCloud",
        connection_id: str | None = None,
        settings: ConnectionSettings | None = None,
    ) -> ConnectionRecord:
        """A tenant connection; `connection_id` lets a test give it a known id."""
        kind = rules.canonical(connectivity_type, CONNECTIVITY_TYPES, "connectivity type")
        rules.require_name(display_name, "connection")
        if not connection_type.strip() or not path.strip():
            raise errors.invalid_input("A connection needs connectionDetails with a type and a path")
        with self._transaction(write=True) as db:
            if db.execute("SELECT 1 FROM connections WHERE name_key = ?", (display_name.casefold(),)).fetchone():
                raise errors.connection_name_in_use(display_name)
            new_id = (connection_id or self._new_id()).lower()
            if db.execute("SELECT 1 FROM connections WHERE id = ?", (new_id,)).fetchone():
                raise errors.invalid_input(f"A connection with id '{new_id}' already exists")
            record = ConnectionRecord(
                new_id, display_name, kind, connection_type, path, settings or ConnectionSettings()
            )
            db.execute(
                "INSERT INTO connections (id, display_name, name_key, connectivity_type, connection_type, path, "
                "settings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    display_name,
                    display_name.casefold(),
                    kind,
                    connection_type,
                    path,
                    record.settings.to_json(),
                ),
            )
            return record

    def update_connection(self, connection_id: str, settings: ConnectionSettings) -> ConnectionRecord:
        """`PATCH /v1/connections/{id}`: new settings (privacy level, credentials); the data source stays."""
        with self._transaction(write=True) as db:
            row = db.execute("SELECT * FROM connections WHERE id = ?", (connection_id.lower(),)).fetchone()
            if row is None:
                raise errors.not_found("Connection", connection_id)
            db.execute("UPDATE connections SET settings = ? WHERE id = ?", (settings.to_json(), row["id"]))
            return dataclasses.replace(_connection(row), settings=settings)

    def delete_connection(self, connection_id: str) -> None:
        with self._transaction(write=True) as db:
            gone = db.execute("DELETE FROM connections WHERE id = ?", (connection_id.lower(),)).rowcount == 0
            if gone:
                raise errors.not_found("Connection", connection_id)

    def connection_by_id(self, connection_id: str) -> ConnectionRecord:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM connections WHERE id = ?", (connection_id.lower(),)).fetchone()
            if row is None:
                raise errors.not_found("Connection", connection_id)
            return _connection(row)

    # --- semantic model bindings -----------------------------------------------------------------

    def bind_model_connection(
        self,
        workspace_id: str,
        model_id: str,
        connection_id: str,
        connectivity_type: str,
        connection_type: str,
        path: str,
    ) -> None:
        """`bindConnection`: the model's data source `connection_type`/`path` now uses the connection."""
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            model = rows.get_item(db, workspace_id, model_id)
            if model.type != "SemanticModel":
                raise errors.not_found("Item", model_id)
            row = db.execute("SELECT * FROM connections WHERE id = ?", (connection_id.lower(),)).fetchone()
            if row is None:
                raise errors.not_found("Connection", connection_id)
            connection = _connection(row)
            if (
                connectivity_type.casefold() != connection.connectivity_type.casefold()
                or connection_type.casefold() != connection.connection_type.casefold()
                or not _same_path(path, connection.path)
            ):
                raise errors.binding_details_mismatch(connection.id)
            db.execute(
                "INSERT OR REPLACE INTO model_connections VALUES (?, ?, ?, ?)",
                (model_id, connection.connection_type, connection.path.rstrip("/"), connection.id),
            )

    def list_item_connections(self, workspace_id: str, item_id: str) -> list[ItemConnectionRecord]:
        """`GET .../items/{id}/connections`: each data source of the item's definition (model_sources.py),
        with the connection bound to it or unbound; then bound connections no data source names."""
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            rows.get_item(db, workspace_id, item_id)
            parts = [p for p in rows.stored_parts(db, item_id) if is_model_expression_part(p.path)]
            found = db.execute(
                "SELECT c.* FROM model_connections m JOIN connections c ON c.id = m.connection_id "
                "WHERE m.item_id = ? ORDER BY m.rowid",
                (item_id,),
            )
            bound = [_connection(r) for r in found]
        listed = []
        for source in data_sources(p.text or "" for p in parts):
            used = next((c for c in bound if _serves(c, source.connection_type, source.path)), None)
            if used is None:
                listed.append(
                    ItemConnectionRecord(None, None, UNBOUND_CONNECTIVITY, source.connection_type, source.path)
                )
            else:
                bound.remove(used)
                listed.append(ItemConnectionRecord.bound(used))
        return listed + [ItemConnectionRecord.bound(c) for c in bound]
