"""The `Directory` fallback: group membership as `principals.yaml` (next to workspace-config.yaml) lists it.

    users:
      - {upn: alice@contoso.com, object_id: 6f1c...}
    service_principals:
      - {app_id: 0b3e..., object_id: 9d2a..., name: release-bot}
    groups:
      - name: prod-approvers
        members: [alice@contoso.com, 9d2a..., change-board]   # object ids, UPNs, app ids, other groups

A member that names a group includes that group's members (nested to any depth; a cycle is refused).
Names compare as identities (`Identity`, strictly: membership grants a right), ids case-insensitively. A
user or service principal listed under `users`/`service_principals` is one principal under each of its
names: an entry by object id admits whoever signs in with that UPN or app id, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fabctl.domain.errors import InvalidConfiguration, NotFound
from fabctl.domain.identity import Identity, InvalidIdentity

FILE_NAME = "principals.yaml"
Name = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserModel(_Strict):
    upn: Name
    object_id: str = ""


class ServicePrincipalModel(_Strict):
    app_id: Name
    object_id: str = ""
    name: str = ""


class GroupModel(_Strict):
    name: Name
    object_id: str = ""
    members: list[Name] = Field(default_factory=list)


class PrincipalsModel(_Strict):
    users: list[UserModel] = Field(default_factory=list)
    service_principals: list[ServicePrincipalModel] = Field(default_factory=list)
    groups: list[GroupModel] = Field(default_factory=list)


@dataclass
class PrincipalsFileDirectory:
    path: str

    @classmethod
    def next_to(cls, config_path: str) -> PrincipalsFileDirectory:
        return cls(str(Path(config_path).parent / FILE_NAME))

    def is_member(self, group: str, *, actor: str, object_id: str = "") -> bool:
        groups, aliases = self._load()
        if group not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise NotFound(f"no group '{group}' (groups: {known})", subject=self.path, field="groups")
        names = {_key(n) for n in (actor, object_id) if n}
        for name in list(names):
            names |= aliases.get(name, set())
        return bool(names & _members(group, groups))

    def exists(self) -> bool:
        return Path(self.path).is_file()

    def members(self, group: str) -> set[str] | None:
        """The names (object ids, UPNs, app ids, names the file does not define) `group` holds through the file's
        nested groups; None when the file does not define `group`."""
        groups, _ = self._load()
        return _members(group, groups) if group in groups else None

    def aliases(self, name: str) -> set[str]:
        """Every name the file gives the principal `name` (its UPN or app id and its object id), `name` included."""
        _, aliases = self._load()
        key = self._checked(name, "approver")
        return {key, *aliases.get(key, set())}

    def _load(self) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
        from fabctl.adapters.source.config_files import _load_yaml, validate_model

        if not Path(self.path).is_file():
            raise InvalidConfiguration(
                "not found: the promotion rules name approver groups, and this file says who is in them "
                "(see docs/governance.md)",
                subject=self.path,
            )
        model = validate_model(PrincipalsModel, _load_yaml(self.path), self.path)
        aliases: dict[str, set[str]] = {}
        for index, user in enumerate(model.users):
            self._alias(aliases, [user.upn, user.object_id], f"users[{index}]")
        for index, sp in enumerate(model.service_principals):
            self._alias(aliases, [sp.app_id, sp.object_id], f"service_principals[{index}]")
        groups: dict[str, list[str]] = {}
        for index, entry in enumerate(model.groups):
            if entry.name in groups:
                raise InvalidConfiguration(f"group '{entry.name}' is listed twice", subject=self.path,
                                           field=f"groups[{index}].name")  # fmt: skip
            groups[entry.name] = entry.members
        resolved = {
            name: [m if m in groups else self._checked(m, f"groups[{i}].members") for m in members]
            for i, (name, members) in enumerate(groups.items())
        }
        _refuse_cycles(resolved, self.path)
        return resolved, aliases

    def _alias(self, aliases: dict[str, set[str]], names: list[str], field: str) -> None:
        keys = {self._checked(n, field) for n in names if n}
        for key in keys:
            aliases.setdefault(key, set()).update(keys)

    def _checked(self, name: str, field: str) -> str:
        try:
            return _key(name)
        except InvalidIdentity as e:
            raise InvalidConfiguration(e.message, subject=self.path, field=field) from None


def _key(name: str) -> str:
    return str(Identity.parse(name))  # case-folded and normalised: ids and UPNs alike


def _members(group: str, groups: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    for member in groups[group]:
        found |= _members(member, groups) if member in groups else {member}
    return found


def _refuse_cycles(groups: dict[str, list[str]], path: str) -> None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = " -> ".join([*trail[trail.index(name) :], name])
            raise InvalidConfiguration(f"groups contain each other: {cycle}", subject=path, field=f"groups.{name}")
        if name in done:
            return
        for member in groups[name]:
            if member in groups:
                visit(member, [*trail, name])
        done.add(name)

    for name in groups:
        visit(name, [])
