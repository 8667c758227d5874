"""What an approval covers: everything that decides what a promotion deploys, and where.

A promotion request pins, when it is opened, the terms it will be approved on (ADR 0019):

- the target environment's configuration, every field of it (workspace name or id, capacity,
  `protected`, promotion rules, scope and exclusions);
- the source's set of items (each by `Name.Type` with its logical id: references are bound through
  logical ids), and for each promoted item its content, folder and description;
- the effect of the parameter rules on the target: each rule of every section, each field, with its
  replacement for the target environment (or for `_ALL_`). Values for other environments do not
  count: editing prod's value does not void an approval for test.

Each term is a `Pin`. Parameter values and item contents are *sealed*: only a salted digest is kept
and a change is reported as "changed", because a parameter value may have come from `$ENV:` (a
secret) and content is too long to show. Everything else is shown, old and new, in the refusal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fabctl.domain.environments import Environment
from fabctl.domain.items import ItemKey
from fabctl.domain.parameters import ALL_ENVIRONMENTS, ParameterRules
from fabctl.domain.workspace import Workspace

# Fields as workspace-config.yaml and parameter.yml spell them, where the model's names differ.
_CONFIG_KEYS = {"workspace_name": "workspace", "default_approvals": "approvals"}
_PARAMETER_KEYS = {
    "find": "find_value",
    "replace": "replace_value",
    "item_types": "item_type",
    "item_names": "item_name",
    "file_paths": "file_path",
    "model_names": "semantic_model_name",
    "connection_ids": "connection_id",
}
_NO_VALUE = "(none)"


@dataclass(frozen=True)
class Pin:
    """One term: `label` names it as a user finds it; `group` is what it belongs to (a rule, an item)."""

    group: str
    label: str
    value: str  # JSON text, or a digest when `sealed`
    sealed: bool = False


@dataclass(frozen=True)
class ApprovalTerms:
    pins: tuple[Pin, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        salt: str,
        source: Workspace,
        promoted: Iterable[ItemKey],
        environment: Environment,
        parameters: ParameterRules,
    ) -> ApprovalTerms:
        """The terms of promoting `promoted` from `source` into `environment` under `parameters`.

        `salt` (the request id) keys the digests of sealed values, so a digest says nothing outside
        its request."""
        pins = [
            *_environment_pins(environment),
            *_source_pins(source, set(promoted), salt),
            *_parameter_pins(parameters, environment.name, salt),
        ]
        return cls(tuple(pins))

    def differences(self, now: ApprovalTerms) -> list[str]:
        """What changed from these terms to `now`, one line per difference, in the order of the terms."""
        before = {p.label: p for p in self.pins}
        after = {p.label: p for p in now.pins}
        groups_before = {p.group for p in self.pins}
        groups_after = {p.group for p in now.pins}
        lines: list[str] = []
        reported: set[str] = set()
        for pin in (*self.pins, *now.pins):
            group = pin.group
            if group not in groups_after or group not in groups_before:
                if group not in reported:
                    reported.add(group)
                    lines.append(f"{group}: {'removed' if group not in groups_after else 'added'}")
                continue
            if pin.label in reported:
                continue
            reported.add(pin.label)
            old, new = before.get(pin.label), after.get(pin.label)
            if old is not None and new is not None and old.value == new.value:
                continue
            if pin.sealed:
                lines.append(f"{pin.label}: {'added' if old is None else 'removed' if new is None else 'changed'}")
            else:
                lines.append(f"{pin.label}: {old.value if old else _NO_VALUE} -> {new.value if new else _NO_VALUE}")
        return lines


def _environment_pins(environment: Environment) -> Iterator[Pin]:
    group = f"environments.{environment.name}"
    for name, value in _flatten(environment, skip=("name",)):
        yield Pin(group, f"{group}.{name}", _json(value))


def _flatten(value: object, prefix: str = "", skip: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:
    """(dotted field path, plain value) of a dataclass, nested dataclasses and mappings expanded."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name not in skip:
                yield from _flatten(getattr(value, f.name), f"{prefix}{_CONFIG_KEYS.get(f.name, f.name)}.")
    elif isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from _flatten(value[key], f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), value


def _source_pins(source: Workspace, promoted: set[ItemKey], salt: str) -> Iterator[Pin]:
    for item in source:
        group = f"source item {item.key}"
        yield Pin(group, f"{group} logical id", _json(str(item.logical_id or "")))
        if item.key in promoted:
            yield Pin(group, f"{item.key} content", _digest(salt, item.definition.content_hash()), sealed=True)
            yield Pin(group, f"{item.key} folder", _json(item.folder))
            yield Pin(group, f"{item.key} description", _json(item.description))


def _parameter_pins(rules: ParameterRules, environment: str, salt: str) -> Iterator[Pin]:
    for section in dataclasses.fields(rules):
        entries = getattr(rules, section.name)
        if not isinstance(entries, tuple):
            continue
        for index, rule in enumerate(entries):
            if not dataclasses.is_dataclass(rule) or isinstance(rule, type):
                continue
            group = str(getattr(rule, "origin", "") or f"{rules.source}: {section.name}[{index}]")
            for f in dataclasses.fields(rule):
                if f.name == "origin":
                    continue
                value = getattr(rule, f.name)
                label = f"{group}.{_PARAMETER_KEYS.get(f.name, f.name)}"
                if isinstance(value, Mapping):  # every mapping of a rule is keyed by environment (or _ALL_)
                    label = f"{label}.{environment}"
                    value = value.get(environment, value.get(ALL_ENVIRONMENTS, _NO_VALUE))
                yield Pin(group, label, _digest(salt, _canonical(value)), sealed=True)


def _canonical(value: object) -> str:
    """A stable text for a parsed value: equal values, equal texts, from one run to the next."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)


def _plain(value: object) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        items = [_plain(v) for v in value]
        return items if isinstance(value, tuple | list) else sorted(items, key=json.dumps)
    expression = getattr(value, "expression", None)  # a parsed JSONPath keeps the text it was parsed from
    if isinstance(expression, str):
        return expression
    if type(value).__str__ is object.__str__:
        # Its text would be its address in memory: every approval would look changed.
        raise TypeError(f"cannot pin a {type(value).__name__}: give it an `expression` or a __str__")
    return str(value)


def _json(value: object) -> str:
    return json.dumps(_plain(value), ensure_ascii=False)


def _digest(salt: str, text: str) -> str:
    return hashlib.sha256(f"{salt}\x00{text}".encode()).hexdigest()[:32]
