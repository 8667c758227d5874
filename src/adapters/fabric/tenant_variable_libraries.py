"""A Variable Library's active value set, kept by a `FabricTenant` (mixed into it).

Fabric applies one value set of a variable library at a time: the default values ("Default value set")
or one of the sets of its definition (`valueSets/<file>.json`, each naming itself in `name`). Clients set
it with `PATCH .../VariableLibraries/{id}` (`properties.activeValueSetName`) and read it on
`GET .../variableLibraries/{id}`. A library without a row has the default set active. A name that is
neither the default nor a set of the library's stored definition is refused (400, our choice of code:
docs/emulator.md "Choices"), so a set must be deployed before it is activated.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import PurePosixPath

from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric.tenant_errors import TenantError, not_found

VARIABLE_LIBRARY = "VariableLibrary"
DEFAULT_VALUE_SET = "Default value set"

# Created by tenant_schema's statements run here too, so an older tenant file gains the table.
SCHEMA = """CREATE TABLE IF NOT EXISTS active_value_sets (
    item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    name TEXT NOT NULL)"""


def unknown_value_set(name: str, known: list[str]) -> TenantError:
    return TenantError(
        400,
        "InvalidValueSetName",
        f"The value set '{name}' is not a value set of this variable library (its value sets: {', '.join(known)}).",
    )


def active_value_set(db: sqlite3.Connection, item_id: str) -> str:
    row = db.execute("SELECT name FROM active_value_sets WHERE item_id = ?", (item_id,)).fetchone()
    return str(row["name"]) if row else DEFAULT_VALUE_SET


def _value_sets(db: sqlite3.Connection, item_id: str) -> list[str]:
    """The default set, then each `valueSets/*.json` part's `name` (its file name when it names none)."""
    names = [DEFAULT_VALUE_SET]
    for part in rows.stored_parts(db, item_id):
        path = PurePosixPath(part.path)
        if path.parent != PurePosixPath("valueSets") or path.suffix != ".json":
            continue
        try:
            document = json.loads(part.payload.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            document = {}  # a part the client may send as it likes: its file name names it
        name = document.get("name") if isinstance(document, dict) else None
        names.append(name if isinstance(name, str) and name else path.stem)
    return names


class VariableLibraries:
    """Needs the tenant's `_transaction` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]

    def set_active_value_set(self, workspace_id: str, item_id: str, name: str) -> str:
        """Make `name` the library's active value set (400 when it has no such set); the name set."""
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            if rows.get_item(db, workspace_id, item_id).type != VARIABLE_LIBRARY:
                raise not_found("Item", item_id)
            known = _value_sets(db, item_id)
            if name not in known:
                raise unknown_value_set(name, known)
            db.execute(
                "INSERT INTO active_value_sets (item_id, name) VALUES (?, ?) "
                "ON CONFLICT (item_id) DO UPDATE SET name = excluded.name",
                (item_id, name),
            )
            return name
