"""Environment publishing of a `FabricTenant` (mixed into it).

An Environment has two definitions: the staged one (its parts, what updateDefinition writes) and the
published one, which Spark sessions use. `staging/publish` makes the staged one the published one;
it takes a while, during which the environment's publish state is Running, then Success or Failed.
A Failed publish changes nothing: what was published before stays published.

The tenant keeps one row per environment about its latest publish: when it started and ends, how it
ends, the hash of the staged parts it publishes, and the hash of what was published before it.
So it always knows what is published, and whether the staged definition changed since. A new
environment starts with its initial, empty version published (its definition is only staged).
States are computed from the clock when read, so nothing has to run when a publish ends.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fabctl.adapters.fabric import tenant_errors as errors
from fabctl.adapters.fabric import tenant_rows as rows
from fabctl.adapters.fabric.tenant_errors import TenantError
from fabctl.domain.definition import ItemDefinition

ENVIRONMENT = "Environment"
RUNNING, SUCCESS, FAILED = "Running", "Success", "Failed"
_EMPTY = ItemDefinition().content_hash()

# Created by tenant_schema's statements run here too, so an older tenant file gains the table.
SCHEMA = """CREATE TABLE IF NOT EXISTS environment_publishes (
    item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    target_version TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    outcome TEXT NOT NULL,
    staged_hash TEXT NOT NULL,
    published_before TEXT NOT NULL)"""


def publish_in_progress(environment_id: str) -> TenantError:
    # The reference is silent on Fabric's answer; 409 with a code that says why (docs/emulator.md, "Choices").
    return TenantError(
        409,
        "EnvironmentPublishInProgress",
        "A publish of this environment is already running; wait for it to finish before publishing again.",
        {"resourceId": environment_id, "resourceType": ENVIRONMENT},
    )


def _moment(value: datetime) -> str:
    # As Fabric's publishDetails show them: UTC, seven fractional digits, `Z`.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "0Z"


@dataclass(frozen=True)
class PublishDetails:
    """An environment's latest publish as seen at one moment."""

    state: str  # Running, Success or Failed
    target_version: str
    start_time: datetime
    end_time: datetime  # when it ended, or will end
    staged_changed: bool  # the staged definition differs from the published one

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def to_fabric(self) -> dict[str, Any]:
        """`properties.publishDetails` of `GET .../environments[/{id}]`; `endTime` only once it ended."""
        body: dict[str, Any] = {
            "state": self.state,
            "targetVersion": self.target_version,
            "startTime": _moment(self.start_time),
        }
        if not self.running:
            body["endTime"] = _moment(self.end_time)
        # fabctl publishes settings and libraries together: both components share the state.
        body["componentPublishInfo"] = {"sparkLibraries": {"state": self.state}, "sparkSettings": {"state": self.state}}
        return body


def initial_publish(db: sqlite3.Connection, item_id: str, now: datetime) -> None:
    """A new environment: its initial empty version is published; its definition only staged."""
    version = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fabric-environment-version:{item_id}:0"))
    db.execute(
        "INSERT INTO environment_publishes VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, version, now.isoformat(), now.isoformat(), SUCCESS, _EMPTY, _EMPTY),
    )


def _staged_hash(db: sqlite3.Connection, item_id: str) -> str:
    return ItemDefinition.of(rows.stored_parts(db, item_id)).content_hash()


def _details(db: sqlite3.Connection, item_id: str, now: datetime) -> tuple[PublishDetails, str]:
    """The latest publish at `now`, and the hash of what is published at `now`."""
    row = db.execute("SELECT * FROM environment_publishes WHERE item_id = ?", (item_id,)).fetchone()
    if row is None:  # an environment of a tenant file older than publishing: taken as published
        staged = _staged_hash(db, item_id)
        return PublishDetails(SUCCESS, str(uuid.uuid5(uuid.NAMESPACE_URL, item_id)), now, now, False), staged
    end = datetime.fromisoformat(row["end_time"])
    state = RUNNING if now < end else row["outcome"]
    published = row["staged_hash"] if state == SUCCESS else row["published_before"]
    changed = _staged_hash(db, item_id) != published
    start = datetime.fromisoformat(row["start_time"])
    return PublishDetails(state, row["target_version"], start, end, changed), published


def publish_details(db: sqlite3.Connection, item_id: str, now: datetime) -> PublishDetails:
    return _details(db, item_id, now)[0]


class EnvironmentPublishing:
    """Needs the tenant's `_transaction`, `_clock` and `_new_id` (see `FabricTenant`)."""

    _transaction: Callable[..., AbstractContextManager[sqlite3.Connection]]
    _clock: Callable[[], datetime]
    _new_id: Callable[[], str]

    def _environment(self, db: sqlite3.Connection, workspace_id: str, environment_id: str) -> None:
        rows.get_workspace(db, workspace_id)
        if rows.get_item(db, workspace_id, environment_id).type != ENVIRONMENT:
            raise errors.not_found("Item", environment_id)

    def publish_details(self, workspace_id: str, environment_id: str) -> PublishDetails:
        with self._transaction() as db:
            self._environment(db, workspace_id, environment_id)
            return _details(db, environment_id, self._clock())[0]

    def list_publish_details(self, workspace_id: str) -> dict[str, PublishDetails]:
        """Every environment of the workspace by id, with its latest publish."""
        with self._transaction() as db:
            rows.get_workspace(db, workspace_id)
            now = self._clock()
            found = db.execute(
                "SELECT id FROM items WHERE workspace_id = ? AND type = ? ORDER BY rowid", (workspace_id, ENVIRONMENT)
            ).fetchall()
            return {r["id"]: _details(db, r["id"], now)[0] for r in found}

    def publish_environment(
        self, workspace_id: str, environment_id: str, *, duration_s: float = 0.0, fails: bool = False
    ) -> PublishDetails:
        """Start publishing the staged definition: Running for `duration_s`, then Success (or Failed
        with `fails`). Refused while an earlier publish of the environment runs."""
        with self._transaction(write=True) as db:
            self._environment(db, workspace_id, environment_id)
            now = self._clock()
            current, published = _details(db, environment_id, now)
            if current.running:
                raise publish_in_progress(environment_id)
            end = now + timedelta(seconds=duration_s)
            db.execute(
                "INSERT OR REPLACE INTO environment_publishes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    environment_id,
                    self._new_id(),
                    now.isoformat(),
                    end.isoformat(),
                    FAILED if fails else SUCCESS,
                    _staged_hash(db, environment_id),
                    published,
                ),
            )
            return _details(db, environment_id, now)[0]
