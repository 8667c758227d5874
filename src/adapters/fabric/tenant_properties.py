"""The `properties` of typed items (`GET /workspaces/{ws}/lakehouses/{id}`, `/warehouses`, ...), as
the recorded responses show them (docs/reference/fabric-recorded-behaviour.md). Mixed into `FabricTenant`.

What Fabric provisions after a create (a Lakehouse's or Mirrored Database's SQL endpoint, an Eventhouse's
query service) is absent (null) until `sql_endpoint_seconds` have passed; everything else is there at
once. Addresses are fake but shaped like the real ones, derived from the item's id so they are stable.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric.tenant_records import (
    ONELAKE_DFS_ENDPOINT,
    ItemRecord,
    QueryServiceRecord,
    SqlEndpointRecord,
)
from fabctl.adapters.fabric.tenant_variable_libraries import active_value_set

# Types with a typed route whose body carries `properties`.
TYPED_PROPERTIES = (
    "Lakehouse",
    "Warehouse",
    "SQLDatabase",
    "MirroredDatabase",
    "Eventhouse",
    "KQLDatabase",
    "VariableLibrary",
)
# Where a KQL database names its eventhouse when created with a definition (fabric-cicd sends one).
KQL_DATABASE_PROPERTIES = "DatabaseProperties.json"
WAREHOUSE_COLLATION = "Latin1_General_100_BIN2_UTF8"  # Fabric's default for a new warehouse
SQL_DATABASE_COLLATION = "SQL_Latin1_General_CP1_CI_AS"
BACKUP_RETENTION_DAYS = 7


def _derived(kind: str, item_id: str) -> str:
    # Stable without taking an id from `new_id`: the same item always gets the same address.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fabric-{kind}:{item_id}"))


def sql_endpoint(item_id: str, ready: bool) -> SqlEndpointRecord:
    endpoint_id = _derived("sql-endpoint", item_id)
    return SqlEndpointRecord(endpoint_id, f"{endpoint_id.replace('-', '')}.datawarehouse.fabric.local", ready)


def query_service(eventhouse_id: str, ready: bool) -> QueryServiceRecord:
    cluster = f"trd-{uuid.UUID(_derived('eventhouse', eventhouse_id)).hex[:18]}"
    return QueryServiceRecord(
        f"https://{cluster}.z0.kusto.fabric.local", f"https://ingest-{cluster}.z0.kusto.fabric.local", ready
    )


def _moment(text: str | None, fallback: datetime) -> str:
    moment = datetime.fromisoformat(text) if text else fallback
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ItemProperties:
    """Needs the tenant's `_transaction`, `_clock` and `_provisioned` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]
    _clock: Callable[[], datetime]
    _provisioned: Callable[[sqlite3.Connection, str], bool]

    def typed_item(self, workspace_id: str, item_id: str, item_type: str) -> tuple[ItemRecord, dict[str, Any]]:
        """The item and its `properties`; 404 when it is not of `item_type` (a typed route sees only its own)."""
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            item = rows.get_item(db, workspace_id, item_id)
            if item.type != item_type:
                raise errors.not_found("Item", item_id)
            return item, self._properties(db, item)

    def typed_items(self, workspace_id: str, item_type: str) -> list[tuple[ItemRecord, dict[str, Any]]]:
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            found = db.execute(
                "SELECT * FROM items WHERE workspace_id = ? AND type = ? ORDER BY rowid", (workspace_id, item_type)
            )
            items = [rows.item(r) for r in found]
            return [(item, self._properties(db, item)) for item in items]

    def _properties(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        build = {
            "Lakehouse": self._lakehouse,
            "Warehouse": self._warehouse,
            "SQLDatabase": self._sql_database,
            "MirroredDatabase": self._mirrored_database,
            "Eventhouse": self._eventhouse,
            "KQLDatabase": self._kql_database,
            "VariableLibrary": _variable_library,
        }.get(item.type)
        return {} if build is None else build(db, item)

    def _lakehouse(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        root = f"{ONELAKE_DFS_ENDPOINT}/{item.workspace_id}/{item.id}"
        properties: dict[str, Any] = {"oneLakeTablesPath": f"{root}/Tables", "oneLakeFilesPath": f"{root}/Files"}
        if _creation_payload(db, item.id).get("enableSchemas") is True:  # recorded only on schema-enabled ones
            properties["defaultSchema"] = "dbo"
        properties["sqlEndpointProperties"] = sql_endpoint(item.id, self._provisioned(db, item.id)).to_fabric()
        return properties

    def _mirrored_database(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        return {"sqlEndpointProperties": sql_endpoint(item.id, self._provisioned(db, item.id)).to_fabric()}

    def _warehouse(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        created, updated = self._times(db, item.id)
        collation = _creation_payload(db, item.id).get("collationType")
        return {
            "connectionString": f"{_derived('warehouse', item.id).replace('-', '')}.datawarehouse.fabric.local",
            "createdDate": created,
            "lastUpdatedTime": updated,
            "collationType": collation if isinstance(collation, str) else WAREHOUSE_COLLATION,
        }

    def _sql_database(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        server = f"{_derived('sql-server', item.id).replace('-', '')}.database.fabric.local"
        database = f"{item.display_name}-{item.id}"
        return {
            "backupRetentionDays": BACKUP_RETENTION_DAYS,
            "collation": SQL_DATABASE_COLLATION,
            "connectionInfo": f"Data Source={server},1433;Initial Catalog={database};"
            "Connect Timeout=30;Encrypt=True;Authentication=Active Directory Interactive",
            "connectionString": f"Data Source={server},1433;Initial Catalog={database};Encrypt=True",
            "databaseName": database,
            "serverFqdn": f"{server},1433",
        }

    def _eventhouse(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        databases = db.execute(
            "SELECT * FROM items WHERE workspace_id = ? AND type = 'KQLDatabase' ORDER BY rowid", (item.workspace_id,)
        )
        children = [r["id"] for r in databases if _kql_database_settings(db, r["id"])[1] == item.id]
        minimum = _creation_payload(db, item.id).get("minimumConsumptionUnits")
        return {
            **query_service(item.id, self._provisioned(db, item.id)).to_fabric(),
            "databasesItemIds": children,
            "minimumConsumptionUnits": minimum if isinstance(minimum, int | float) else 0,
        }

    def _kql_database(self, db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
        database_type, parent_id = _kql_database_settings(db, item.id)
        parent = db.execute(
            "SELECT 1 FROM items WHERE id = ? AND workspace_id = ? AND type = 'Eventhouse'",
            (parent_id, item.workspace_id),
        ).fetchone()
        # The database is served by its eventhouse's cluster; without a known parent, by one of its own.
        if parent and parent_id:
            service = query_service(parent_id, self._provisioned(db, parent_id))
        else:
            service = query_service(item.id, True)
        return {"databaseType": database_type, "parentEventhouseItemId": parent_id, **service.to_fabric()}

    def _times(self, db: sqlite3.Connection, item_id: str) -> tuple[str, str]:
        row = db.execute("SELECT created_at, updated_at FROM item_times WHERE item_id = ?", (item_id,)).fetchone()
        now = self._clock()  # no row: an item of an older file, whose times were not kept
        return _moment(row and row["created_at"], now), _moment(row and row["updated_at"], now)


def _variable_library(db: sqlite3.Connection, item: ItemRecord) -> dict[str, Any]:
    return {"activeValueSetName": active_value_set(db, item.id)}


def _creation_payload(db: sqlite3.Connection, item_id: str) -> dict[str, Any]:
    row = db.execute("SELECT creation_payload FROM items WHERE id = ?", (item_id,)).fetchone()
    payload = json.loads(row["creation_payload"]) if row and row["creation_payload"] else {}
    return payload if isinstance(payload, dict) else {}


def _kql_database_settings(db: sqlite3.Connection, item_id: str) -> tuple[str, str | None]:
    """databaseType and parentEventhouseItemId, from the creationPayload or the DatabaseProperties.json part."""
    settings = _creation_payload(db, item_id)
    if not settings:
        row = db.execute(
            "SELECT payload FROM definition_parts WHERE item_id = ? AND path = ?", (item_id, KQL_DATABASE_PROPERTIES)
        ).fetchone()
        try:
            parsed = json.loads(bytes(row["payload"]).decode("utf-8-sig")) if row else {}
        except (UnicodeDecodeError, ValueError):
            parsed = {}  # a part the client may send as it likes: read what can be read
        settings = parsed if isinstance(parsed, dict) else {}
    database_type, parent = settings.get("databaseType"), settings.get("parentEventhouseItemId")
    return (
        database_type if isinstance(database_type, str) else "ReadWrite",
        parent.lower() if isinstance(parent, str) and parent else None,
    )
