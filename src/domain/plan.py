"""A deployment plan: what a deployment would do to a target workspace, item by item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fabctl.domain.connections import ConnectionChange, ConnectionChangeKind
from fabctl.domain.items import ItemKey


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NO_OP = "no-op"


@dataclass(frozen=True)
class PlannedChange:
    kind: ChangeKind
    key: ItemKey
    reason: str
    item_id: str | None = None  # the target's id, when the item exists there
    changed_parts: tuple[str, ...] = ()
    folder: str | None = None  # the folder path ("" = root) to move the item to, when it differs
    drift: bool = False  # changed in the workspace since fabctl deployed it
    shortcuts: tuple[str, ...] = ()  # a lakehouse's shortcut writes, e.g. "create shortcut Files/raw"
    publish: bool = False  # an Environment whose definition is written: published after the write
    value_set: str | None = None  # a Variable Library's value set to activate after the write; None: left as is

    @property
    def writes(self) -> bool:
        return self.kind is not ChangeKind.NO_OP


@dataclass(frozen=True)
class DeploymentPlan:
    environment: str
    workspace_id: str
    workspace_name: str
    changes: tuple[PlannedChange, ...]  # in deployment order; deletions last
    folders_to_create: tuple[str, ...] = ()  # parents before children
    workspace_exists: bool = True
    # What the user allowed although it is likely wrong (a logical id left dangling, `--allow-dangling`).
    warnings: tuple[str, ...] = ()
    features: Mapping[str, bool | None] = field(default_factory=dict)  # the feature flags in force (feature_flags.py)
    connections: tuple[ConnectionChange, ...] = ()  # the environment's declared connections, ensured first

    @property
    def writes(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if c.writes)

    @property
    def has_changes(self) -> bool:
        connections = any(c.kind is not ConnectionChangeKind.NO_OP for c in self.connections)
        return bool(self.writes or self.folders_to_create or not self.workspace_exists or connections)

    @property
    def drifted(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if c.drift)

    def counts(self) -> dict[str, int]:
        tally = Counter(c.kind.value for c in self.changes)
        return {kind.value: tally.get(kind.value, 0) for kind in ChangeKind}

    def summary(self) -> str:
        counts = self.counts()
        return ", ".join(f"{n} {kind}" for kind, n in counts.items())
