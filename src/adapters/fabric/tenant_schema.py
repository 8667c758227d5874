"""The SQLite schema behind `FabricTenant`, and how its connection is opened."""

from __future__ import annotations

import sqlite3

from fabctl.adapters.fabric.tenant_environments import SCHEMA as ENVIRONMENT_PUBLISHES
from fabctl.adapters.fabric.tenant_records import DEFAULT_CAPACITY_ID, DEFAULT_CAPACITY_NAME, DEFAULT_CAPACITY_REGION
from fabctl.adapters.fabric.tenant_variable_libraries import SCHEMA as ACTIVE_VALUE_SETS

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000

# Names are unique case-insensitively (the stricter reading of Fabric's documented rules), so
# each named row keeps a casefolded `name_key` that the unique constraints work on.
_STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS capacities (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        sku TEXT NOT NULL,
        region TEXT NOT NULL,
        state TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS workspaces (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        capacity_id TEXT REFERENCES capacities(id))""",
    """CREATE TABLE IF NOT EXISTS role_assignments (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        principal_id TEXT NOT NULL,
        principal_type TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (workspace_id, principal_id))""",
    """CREATE TABLE IF NOT EXISTS folders (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        parent_id TEXT REFERENCES folders(id) ON DELETE CASCADE)""",
    # A NULL parent (the root) would not collide in a plain unique index, hence ifnull.
    """CREATE UNIQUE INDEX IF NOT EXISTS folders_unique_name
        ON folders (workspace_id, ifnull(parent_id, ''), name_key)""",
    """CREATE TABLE IF NOT EXISTS items (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        description TEXT NOT NULL,
        folder_id TEXT REFERENCES folders(id),
        creation_payload TEXT,
        UNIQUE (workspace_id, type, name_key))""",
    """CREATE TABLE IF NOT EXISTS definition_parts (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        payload BLOB NOT NULL,
        PRIMARY KEY (item_id, path))""",
    """CREATE TABLE IF NOT EXISTS reserved_names (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        name_key TEXT NOT NULL,
        available_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, type, name_key))""",
    # When each Lakehouse's SQL endpoint finishes provisioning. Added after version 1 shipped;
    # CREATE IF NOT EXISTS upgrades older files, whose Lakehouses (no row) count as provisioned.
    """CREATE TABLE IF NOT EXISTS sql_endpoints (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        ready_at TEXT NOT NULL)""",
    # When each item was created and last changed (a Warehouse's createdDate/lastUpdatedTime). Added
    # after version 1 shipped: items of older files have no row.
    """CREATE TABLE IF NOT EXISTS item_times (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    # Spark pools and connections, added after version 1 shipped (CREATE IF NOT EXISTS upgrades older
    # files, which simply have none). A pool belongs to a workspace or to a capacity (`scope_id`);
    # the Starter Pool is not stored: every workspace has one.
    """CREATE TABLE IF NOT EXISTS spark_pools (
        id TEXT PRIMARY KEY,
        scope_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        UNIQUE (scope_id, type, name_key))""",
    """CREATE TABLE IF NOT EXISTS connections (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        connectivity_type TEXT NOT NULL,
        connection_type TEXT NOT NULL,
        path TEXT NOT NULL)""",
    # Which connection each data source (type + path) of a semantic model is bound to.
    """CREATE TABLE IF NOT EXISTS model_connections (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        connection_type TEXT NOT NULL,
        path TEXT NOT NULL,
        connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, connection_type, path))""",
    # OneLake shortcuts of lakehouses (tenant_shortcuts.py), added after version 1 shipped: CREATE IF
    # NOT EXISTS upgrades older files, whose lakehouses simply have none. `target` is the JSON object
    # of one target kind, e.g. {"oneLake": {...}}.
    """CREATE TABLE IF NOT EXISTS shortcuts (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (item_id, path, name))""",
    # Each environment's latest publish (tenant_environments), added after version 1 shipped.
    ENVIRONMENT_PUBLISHES,
    # Each variable library's active value set (tenant_variable_libraries), added after version 1 shipped.
    ACTIVE_VALUE_SETS,
)


# Columns added to tables after version 1 shipped: CREATE IF NOT EXISTS cannot add them to older files.
_ADDED_COLUMNS = (("connections", "settings", "TEXT"),)  # ConnectionSettings as JSON; NULL = defaults


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, column, kind in _ADDED_COLUMNS:
        present = {row["name"] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def connect(target: str) -> sqlite3.Connection:
    """Open `target` (a file path or ":memory:") and make sure the schema exists."""
    # isolation_level=None: the tenant issues BEGIN/COMMIT itself, one transaction per call.
    # check_same_thread=False: worker threads share the connection behind the tenant's lock.
    connection = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL lets another process (the emulator, a second CLI) read while one writes. FULL sync
    # makes a returned write survive a power cut too, not only a killed process.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    # IMMEDIATE: two processes opening a fresh file at once create the schema one after the other.
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _STATEMENTS:
            connection.execute(statement)
        connection.execute(
            "INSERT OR IGNORE INTO capacities VALUES (?, ?, 'F2', ?, 'Active')",
            (DEFAULT_CAPACITY_ID, DEFAULT_CAPACITY_NAME, DEFAULT_CAPACITY_REGION),
        )
        _add_missing_columns(connection)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        connection.close()
        raise
    connection.execute("COMMIT")
    return connection
