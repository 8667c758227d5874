"""A lakehouse's OneLake shortcuts as its `shortcuts.metadata.json` declares them, and what it takes to
make the live ones match: create, update (same path and name, another target) or delete.

The file is fabric-cicd's (and Fabric git's) format: a JSON list of `{path, name, target}` objects,
`target` holding exactly one kind (`oneLake`, `adlsGen2`, `amazonS3`, ...). In `target.oneLake`, the
zero GUID as `workspaceId` means "this workspace" and as `itemId` "this lakehouse", as fabric-cicd
reads it; `resolve_defaults` puts the real ids in once they are known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import ZERO_GUID

SHORTCUTS_PART = "shortcuts.metadata.json"
SHORTCUT_HOLDER = "Lakehouse"
# Fields Fabric fills in on its side: never a difference between the file and the workspace.
_READ_ONLY = frozenset({"type"})
_ID_FIELDS = frozenset({"workspaceId", "itemId", "connectionId"})  # GUIDs: compared case-insensitively


@dataclass(frozen=True)
class Shortcut:
    path: str  # "Tables", "Tables/<schema>" or "Files/..." (no leading or trailing slash)
    name: str
    target: Mapping[str, Any]  # {kind: {...}}, one kind

    @property
    def address(self) -> str:
        """`path/name`: how Fabric's URLs (and fabric-cicd) name a shortcut within its lakehouse."""
        return f"{self.path}/{self.name}"

    @property
    def kind(self) -> str:
        return next(k for k in self.target if k not in _READ_ONLY)

    def to_fabric(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "target": {self.kind: dict(self.target[self.kind])}}

    def to_json(self) -> str:
        return json.dumps(self.to_fabric(), sort_keys=True)

    @classmethod
    def from_fabric(cls, body: Mapping[str, Any]) -> Shortcut:
        """A shortcut as the service shows it (its read-only `target.type` dropped)."""
        target = {k: v for k, v in dict(body["target"]).items() if k not in _READ_ONLY}
        return cls(str(body["path"]).strip("/"), str(body["name"]), target)

    def targets_like(self, live: Shortcut) -> bool:
        """Whether `live` points where this one (from the file) does: every field the file gives has
        the same value there; GUIDs in any case; fields only the service adds do not count."""
        if self.kind != live.kind:
            return False
        wanted, held = self.target[self.kind], live.target[live.kind]
        return all(_same(name, value, held.get(name)) for name, value in wanted.items())


def _same(name: str, wanted: Any, held: Any) -> bool:
    if name in _ID_FIELDS and isinstance(wanted, str) and isinstance(held, str):
        return wanted.casefold() == held.casefold()
    if isinstance(wanted, str) and isinstance(held, str) and name in ("path", "subpath"):
        return wanted.strip("/") == held.strip("/")
    return bool(wanted == held)


class ShortcutChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class ShortcutChange:
    kind: ShortcutChangeKind
    address: str  # path/name
    desired: Shortcut | None  # None for a delete
    current: Shortcut | None  # None for a create

    def describe(self) -> str:
        return f"{self.kind.value} shortcut {self.address}"


@dataclass(frozen=True)
class ShortcutWrite:
    """A journaled shortcut write: the shortcut at `path`/`name` of the step's lakehouse goes from
    `before` to `after` (None: absent). Undoing it puts `before` back, whether it landed or not."""

    path: str
    name: str
    before: Shortcut | None
    after: Shortcut | None

    @property
    def address(self) -> str:
        return f"{self.path}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "before": None if self.before is None else self.before.to_fabric(),
            "after": None if self.after is None else self.after.to_fabric(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ShortcutWrite:
        def shortcut(body: Mapping[str, Any] | None) -> Shortcut | None:
            return None if body is None else Shortcut.from_fabric(body)

        return cls(str(doc["path"]), str(doc["name"]), shortcut(doc.get("before")), shortcut(doc.get("after")))


def parse_shortcuts(text: str, origin: str) -> tuple[Shortcut, ...]:
    """The shortcuts of a `shortcuts.metadata.json` (`origin` names it in errors, with the field)."""
    try:
        document = json.loads(text) if text.strip() else []
    except ValueError as e:
        raise InvalidSource(f"is not valid JSON: {e}", subject=origin) from None
    if document is None:
        return ()
    if not isinstance(document, list):
        raise InvalidSource("must be a JSON list of shortcuts", subject=origin, field="(root)")
    found: dict[str, Shortcut] = {}
    for n, entry in enumerate(document):
        shortcut = _parse_one(entry, origin, f"[{n}]")
        if shortcut.address in found:
            raise InvalidSource(
                f"a second shortcut at '{shortcut.address}': each path and name is declared once",
                subject=origin,
                field=f"[{n}].name",
            )
        found[shortcut.address] = shortcut
    return tuple(found.values())


def _parse_one(entry: object, origin: str, at: str) -> Shortcut:
    if not isinstance(entry, dict):
        raise InvalidSource("must be an object with path, name and target", subject=origin, field=at)
    for name in ("path", "name"):
        if not isinstance(entry.get(name), str) or not entry[name].strip("/ "):
            raise InvalidSource("is required and must be a non-empty string", subject=origin, field=f"{at}.{name}")
    path, name = entry["path"].strip("/"), entry["name"]
    if path.split("/")[0] not in ("Tables", "Files"):
        raise InvalidSource(
            f"'{entry['path']}' must be 'Tables', 'Tables/<schema>' or under 'Files'",
            subject=origin,
            field=f"{at}.path",
        )
    if "/" in name:
        raise InvalidSource("must not contain '/' (the folders belong in path)", subject=origin, field=f"{at}.name")
    target = entry.get("target")
    if not isinstance(target, dict):
        raise InvalidSource("is required and must be an object", subject=origin, field=f"{at}.target")
    kinds = [k for k in target if k not in _READ_ONLY]
    if len(kinds) != 1 or not isinstance(target[kinds[0]], dict):
        raise InvalidSource(
            "must hold exactly one target kind as an object (e.g. oneLake, adlsGen2, amazonS3)",
            subject=origin,
            field=f"{at}.target",
        )
    kind = kinds[0]
    if kind == "oneLake":
        for field_name in ("workspaceId", "itemId", "path"):
            if not isinstance(target[kind].get(field_name), str) or not target[kind][field_name]:
                raise InvalidSource(
                    "is required and must be a string", subject=origin, field=f"{at}.target.oneLake.{field_name}"
                )
    return Shortcut(path, name, {kind: dict(target[kind])})


def resolve_defaults(shortcuts: Iterable[Shortcut], workspace_id: str, lakehouse_id: str) -> tuple[Shortcut, ...]:
    """The zero GUID of `target.oneLake.workspaceId` / `itemId` becomes this workspace / lakehouse."""
    resolved = []
    for shortcut in shortcuts:
        spec = shortcut.target.get("oneLake")
        if isinstance(spec, Mapping):
            fixed = dict(spec)
            if fixed.get("workspaceId") == ZERO_GUID:
                fixed["workspaceId"] = workspace_id
            if fixed.get("itemId") == ZERO_GUID:
                fixed["itemId"] = lakehouse_id
            shortcut = Shortcut(shortcut.path, shortcut.name, {"oneLake": fixed})
        resolved.append(shortcut)
    return tuple(resolved)


def diff_shortcuts(desired: Sequence[Shortcut], live: Sequence[Shortcut]) -> tuple[ShortcutChange, ...]:
    """What makes `live` match `desired`: deletes first (by address), then creates and updates in the
    file's order. A shortcut already pointing where the file says is left alone."""
    held = {s.address: s for s in live}
    wanted = {s.address: s for s in desired}
    changes = [
        ShortcutChange(ShortcutChangeKind.DELETE, address, None, held[address])
        for address in sorted(held.keys() - wanted.keys())
    ]
    for shortcut in desired:
        current = held.get(shortcut.address)
        if current is None:
            changes.append(ShortcutChange(ShortcutChangeKind.CREATE, shortcut.address, shortcut, None))
        elif not shortcut.targets_like(current):
            changes.append(ShortcutChange(ShortcutChangeKind.UPDATE, shortcut.address, shortcut, current))
    return tuple(changes)
