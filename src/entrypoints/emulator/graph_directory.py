"""The directory the emulator's Graph routes read: users, groups, service principals, memberships, and the
knobs that make Graph refuse (403 for a permission not granted, 429 for the next requests).

Seeded through `POST /_emulator/graph` (admin.py); `POST /_emulator/reset` empties it. Seeding adds to what is
there, so a test can seed a group's members after the group.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# What each collection is in Graph's `@odata.type`, and the permission a 403 on it names.
KINDS = {
    "users": ("#microsoft.graph.user", "User.Read.All"),
    "groups": ("#microsoft.graph.group", "GroupMember.Read.All"),
    "servicePrincipals": ("#microsoft.graph.servicePrincipal", "Application.Read.All"),
}


class SeedError(ValueError):
    """A seed body the emulator cannot use; the message names the field."""


@dataclass
class Throttle:
    remaining: int = 0  # how many of the next Graph requests answer 429
    retry_after_s: int = 1


@dataclass
class GraphDirectoryState:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # by object id: Graph's JSON, with @odata.type
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> direct member ids, in seeding order
    denied: set[str] = field(default_factory=set)  # collections ("users", ...) that answer 403
    throttle: Throttle = field(default_factory=Throttle)
    served: int = 0  # Graph requests answered (the refused ones too)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.objects.clear()
            self.members.clear()
            self.denied.clear()
            self.throttle = Throttle()
            self.served = 0

    def seed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Add what `body` names (see docs/emulator.md); the answer maps every name seeded to its object id."""
        with self.lock:
            members = {k: list(v) for k, v in self.members.items()}
            before = (dict(self.objects), members, set(self.denied), self.throttle)
            try:
                return self._seed(body)
            except SeedError:  # a refused seed changes nothing
                self.objects, self.members, self.denied, self.throttle = before
                raise

    def _seed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        ids: dict[str, str] = {}
        for item in _list(body, "users"):
            ids.update(self._add(item, "users", "userPrincipalName"))
        for item in _list(body, "servicePrincipals"):
            ids.update(self._add(item, "servicePrincipals", "appId"))
        for item in _list(body, "groups"):
            ids.update(self._add(item, "groups", "displayName"))
        members = body.get("members", {})
        if not isinstance(members, dict):
            raise SeedError("members must be an object: group name -> list of UPNs, app ids or group names")
        for group, names in members.items():
            self._add_members(group, names)
        if "deny" in body:
            self.denied = set(_names(body, "deny", allowed=set(KINDS)))
        if "throttle" in body:
            self.throttle = _throttle(body["throttle"])
        return {"ids": ids, "served": self.served}

    def view(self) -> dict[str, Any]:
        with self.lock:
            return {"objects": len(self.objects), "denied": sorted(self.denied), "served": self.served}

    def find(self, collection: str, prop: str, value: str) -> list[dict[str, Any]]:
        """Objects of `collection` whose `prop` equals `value`; Graph compares these strings ignoring case."""
        kind = KINDS[collection][0]
        with self.lock:
            return [
                o
                for o in self.objects.values()
                if o["@odata.type"] == kind and str(o.get(prop, "")).casefold() == value.casefold()
            ]

    def transitive_members(self, group_id: str) -> list[dict[str, Any]]:
        """Every member of the group, through nested groups, each once (Graph lists the nested groups too)."""
        with self.lock:
            seen: dict[str, dict[str, Any]] = {}
            pending = list(self.members.get(group_id, []))
            while pending:
                member = pending.pop(0)
                if member in seen or member == group_id:
                    continue
                seen[member] = self.objects[member]
                pending.extend(self.members.get(member, []))
            return list(seen.values())

    def _add(self, item: Any, collection: str, key: str) -> dict[str, str]:
        if not isinstance(item, dict) or not isinstance(item.get(key), str) or not item[key]:
            raise SeedError(f"each of {collection} needs {key} (a non-empty string)")
        object_id = item.get("id") or str(uuid.uuid4())
        if not isinstance(object_id, str):
            raise SeedError(f"{collection}[].id must be a string")
        record = {"@odata.type": KINDS[collection][0], "id": object_id.lower(), "displayName": item[key], **item}
        record["id"] = object_id.lower()
        self.objects[record["id"]] = record
        return {item[key]: record["id"]}

    def _add_members(self, group: str, names: Any) -> None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SeedError(f"members[{group!r}] must be a list of UPNs, app ids or group names")
        group_id = self._id_of(group, f"members: no group named {group!r}")
        direct = self.members.setdefault(group_id, [])
        for name in names:
            member = self._id_of(name, f"members[{group!r}]: no user, service principal or group {name!r}")
            if member not in direct:
                direct.append(member)

    def _id_of(self, name: str, missing: str) -> str:
        for o in self.objects.values():
            if name.casefold() in (str(o.get(k, "")).casefold() for k in ("id", "userPrincipalName", "appId")):
                return str(o["id"])
            if o["@odata.type"] == KINDS["groups"][0] and o["displayName"].casefold() == name.casefold():
                return str(o["id"])
        raise SeedError(missing)


def _list(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise SeedError(f"{name} must be a list of objects")
    return value


def _names(body: Mapping[str, Any], name: str, *, allowed: set[str]) -> list[str]:
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
        raise SeedError(f"{name} must be a list of {', '.join(sorted(allowed))}")
    return value


def _throttle(value: Any) -> Throttle:
    if not isinstance(value, dict):
        raise SeedError('throttle must be an object, e.g. {"count": 2, "retry_after_s": 1}')
    count, wait = value.get("count", 0), value.get("retry_after_s", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise SeedError("throttle.count must be a whole number >= 0")
    if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
        raise SeedError("throttle.retry_after_s must be a whole number >= 0")
    return Throttle(count, wait)
