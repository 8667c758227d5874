"""One Azure state store (a fresh table and container on Azurite) shared by `fabctl` runners that share
nothing else, and its journals and leases read straight from the table, as another runner would."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode
from azurite_process import RunningAzurite, fresh_name

from fabctl.adapters.state.azure_entities import PARTITION, join_text, lease_key
from fabctl.adapters.state.serialization import sortable_utc, to_json


@dataclass(frozen=True)
class SharedAzureState:
    connection_string: str
    table: str
    container: str

    @classmethod
    def fresh(cls, azurite: RunningAzurite) -> SharedAzureState:
        """A store no other test uses; fabctl creates its table and container on first use."""
        return cls(azurite.connection_string, fresh_name("shared"), fresh_name("shared"))

    def settings(self, table_endpoint: str | None = None) -> dict[str, str]:
        """The FABCTL_* variables that point a runner at this store; at its tables through
        `table_endpoint` (a proxy) if given."""
        connection = self.connection_string
        if table_endpoint is not None:
            connection = re.sub(r"TableEndpoint=[^;]*", f"TableEndpoint={table_endpoint}", connection)
        return {
            "FABCTL_STATE_STORE": "azure",
            "FABCTL_STORAGE_CONNECTION_STRING": connection,
            "FABCTL_STATE_TABLE": self.table,
            "FABCTL_STATE_CONTAINER": self.container,
        }

    def _entities(self, kind: str) -> list[dict[str, Any]]:
        query = "PartitionKey eq @p and Kind eq @k"
        with TableClient.from_connection_string(self.connection_string, self.table) as table:
            try:
                return [dict(e) for e in table.query_entities(query, parameters={"p": PARTITION, "k": kind})]
            except ResourceNotFoundError:  # no runner has opened the store yet
                return []

    def journal(self) -> list[dict[str, Any]]:
        """Every transaction with its steps, oldest first: the shape `state_journal.journal` reads from SQLite.
        Headers are read before steps, and only steps below a header's StepCount count, as the store reads."""
        headers = self._entities("tx")
        steps = self._entities("step")
        found = []
        for header in sorted(headers, key=lambda h: (h["StartedAt"], h["RowKey"])):
            body = json.loads(join_text(header, "Body"))
            own = [s for s in steps if s["TransactionId"] == body["id"] and s["Number"] <= header["StepCount"]]
            found.append({**body, "steps": [json.loads(join_text(s, "Body")) for s in sorted(own, key=_number)]})
        return found

    def lease(self, workspace_id: str) -> dict[str, Any] | None:
        """The lease entity on a workspace as stored (expired or not), or None."""
        return next((e for e in self._entities("lease") if e["RowKey"] == lease_key(workspace_id)), None)

    def rewrite_lease(self, workspace_id: str, *, host: str | None = None, until: datetime | None = None) -> None:
        """Change the stored lease as a runner on `host` (another machine) or a later `until` would have
        written it: what a test cannot otherwise produce without a second machine or a 15-minute wait."""
        stored = self.lease(workspace_id)
        assert stored is not None, f"no lease on {workspace_id}"
        facts = json.loads(stored["HolderFacts"])
        if host is not None:
            facts["process"]["host"] = host
        changed = {**stored, "HolderFacts": to_json(facts)}
        if until is not None:
            changed["Until"] = sortable_utc(until)
        with TableClient.from_connection_string(self.connection_string, self.table) as table:
            table.update_entity(changed, mode=UpdateMode.REPLACE)


def _number(step: dict[str, Any]) -> int:
    return int(step["Number"])
