"""What a test sets on a `FabricTenant` (mixed into it) that Fabric's API only reads: a capacity and its
state (Active, or Inactive as a paused capacity is), and a principal's role in a workspace, set outright."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric import tenant_rules as rules
from fabctl.adapters.fabric.tenant_records import (
    DEFAULT_CAPACITY_REGION,
    PRINCIPAL_TYPES,
    ROLES,
    CapacityRecord,
    RoleAssignmentRecord,
)

CAPACITY_STATES = ("Active", "Inactive")  # Fabric's Capacity.state


class SettableCapacitiesAndRoles:
    """Needs the tenant's `_transaction` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]

    def put_capacity(self, capacity_id: str, display_name: str, state: str, sku: str = "F2") -> CapacityRecord:
        """The capacity added, or its name, state and SKU changed (workspaces on it stay on it)."""
        record = CapacityRecord(
            rules.require_name(capacity_id, "capacity id"),
            rules.require_name(display_name, "capacity"),
            sku,
            DEFAULT_CAPACITY_REGION,
            rules.canonical(state, CAPACITY_STATES, "capacity state"),
        )
        with self._transaction(write=True) as db:
            db.execute(
                "INSERT INTO capacities VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "display_name = excluded.display_name, sku = excluded.sku, state = excluded.state",
                (record.id, record.display_name, record.sku, record.region, record.state),
            )
            return rows.capacity(db.execute("SELECT * FROM capacities WHERE id = ?", (record.id,)).fetchone())

    def set_role_assignment(
        self, workspace_id: str, principal_id: str, principal_type: str, role: str
    ) -> RoleAssignmentRecord:
        """The principal's role in the workspace, whatever it held before (none, or another role)."""
        assignment = RoleAssignmentRecord(
            principal_id,
            rules.canonical(principal_type, PRINCIPAL_TYPES, "principal type"),
            rules.canonical(role, ROLES, "role"),
        )
        with self._transaction(write=True) as db:
            rows.get_workspace(db, workspace_id)
            db.execute(
                "DELETE FROM role_assignments WHERE workspace_id = ? AND principal_id = ?", (workspace_id, principal_id)
            )
            db.execute(
                "INSERT INTO role_assignments VALUES (?, ?, ?, ?)",
                (workspace_id, principal_id, assignment.principal_type, assignment.role),
            )
            return assignment
