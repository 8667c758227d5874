"""A small JSONPath evaluator: what fabric-cicd's `key_value_replace.find_key` users write.

Supported: `$`, `.name`, `['name']` / `["name"]`, `[n]` (negative counts from the end), `[*]` and `.*`,
`..name` (recursive descent), and filters `[?(@.key == "value")]` / `!=` (the value may be a quoted
string, a number, true/false/null; the key may be a dotted path such as `@.a.b`; an element without
the key matches neither `==` nor `!=`).
Paths are parsed into steps; `replace(document, path, value)` sets every match in place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fabctl.domain.errors import InvalidConfiguration


@dataclass(frozen=True)
class _Child:
    name: str


@dataclass(frozen=True)
class _Index:
    index: int


@dataclass(frozen=True)
class _Wildcard:
    pass


@dataclass(frozen=True)
class _Descend:
    name: str | None  # None: `..*`


@dataclass(frozen=True)
class _Filter:
    key: tuple[str, ...]
    equal: bool
    value: object


@dataclass(frozen=True)
class _SelfAndDescendants:
    pass


_Step = _Child | _Index | _Wildcard | _Descend | _Filter | _SelfAndDescendants
_NAME = re.compile(r"[A-Za-z_$\-][\w$\-]*")
_FILTER = re.compile(
    r"""\[\?\(\s*@((?:\.[A-Za-z_$][\w$\-]*|\[['"][^'"]*['"]\])+)\s*(==|!=)\s*"""
    r"""("(?:[^"\\]|\\.)*"|'[^']*'|-?\d+(?:\.\d+)?|true|false|null)\s*\)\]"""
)
_QUOTED = re.compile(r"""\[\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)")\s*\]""")
_NUMBER = re.compile(r"\[\s*(-?\d+)\s*\]")


class JsonPath:
    """A parsed path; `origin`/`field` name the rule in errors."""

    def __init__(self, expression: str, *, origin: str = "", field: str = "find_key") -> None:
        self.expression = expression
        self.steps = _parse(expression, origin, field)

    def find(self, document: object) -> list[object]:
        return [container[key] for container, key in self._locations(document)]

    def replace(self, document: object, value: object) -> int:
        """Set every match to `value` in place; the number of matches. The root itself cannot be replaced."""
        locations = self._locations(document)
        for container, key in locations:
            container[key] = value
        return len(locations)

    def _locations(self, document: object) -> list[tuple[Any, Any]]:
        # A location is (container, key): the root has no container, so it is a virtual one.
        holder = [document]
        current: list[tuple[Any, Any]] = [(holder, 0)]
        for step in self.steps:
            following: list[tuple[Any, Any]] = []
            for container, key in current:
                if isinstance(step, _SelfAndDescendants):
                    following.append((container, key))
                    following.extend(_descend(_Descend(None), container[key]))
                else:
                    following.extend(_apply(step, container[key]))
            current = _unique(following)
        return [(c, k) for c, k in current if c is not holder]


def _unique(locations: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    seen: set[tuple[int, Any]] = set()
    result = []
    for container, key in locations:
        marker = (id(container), key)
        if marker not in seen:
            seen.add(marker)
            result.append((container, key))
    return result


def _apply(step: _Step, node: object) -> list[tuple[Any, Any]]:
    if isinstance(step, _Child):
        return [(node, step.name)] if isinstance(node, dict) and step.name in node else []
    if isinstance(step, _Index):
        if isinstance(node, list) and -len(node) <= step.index < len(node):
            return [(node, step.index % len(node))]
        return []
    if isinstance(step, _Wildcard):
        return _children(node)
    if isinstance(step, _Filter):
        return [(c, k) for c, k in _children(node) if _filter_matches(step, c[k])]
    if isinstance(step, _Descend):
        return _descend(step, node)
    return []


def _children(node: object) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return [(node, k) for k in node]
    if isinstance(node, list):
        return [(node, i) for i in range(len(node))]
    return []


def _descend(step: _Descend, node: object) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    for container, key in _children(node):
        if step.name is None or (isinstance(container, dict) and key == step.name):
            found.append((container, key))
        found.extend(_descend(step, container[key]))
    return found


def _filter_matches(step: _Filter, candidate: object) -> bool:
    value: object = candidate
    for name in step.key:
        if not isinstance(value, dict) or name not in value:
            return False  # as in jsonpath-ng: a candidate without the key never matches, for == and !=
        value = value[name]
    same = value == step.value and (type(value) is type(step.value) or (_numeric(value) and _numeric(step.value)))
    return same if step.equal else not same


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse(expression: str, origin: str, field: str) -> tuple[_Step, ...]:
    def fail(reason: str) -> InvalidConfiguration:
        return InvalidConfiguration(f"invalid JSONPath '{expression}': {reason}", subject=origin, field=field)

    text = expression.strip()
    if not text.startswith("$"):
        raise fail("must start with '$'")
    steps: list[_Step] = []
    position = 1
    while position < len(text):
        rest = text[position:]
        if rest.startswith(".."):
            name = _NAME.match(rest, 2)
            if rest[2:3] == "*":
                steps.append(_Descend(None))
                position += 3
            elif name:
                steps.append(_Descend(name.group(0)))
                position += name.end()
            elif rest[2:3] == "[":
                steps.append(_SelfAndDescendants())  # `..[...]`: the bracket applies at every depth
                position += 2
            else:
                raise fail(f"expected a name after '..' at position {position}")
            continue
        if rest.startswith(".*"):
            steps.append(_Wildcard())
            position += 2
            continue
        if rest.startswith("."):
            name = _NAME.match(rest, 1)
            if not name:
                raise fail(f"expected a name after '.' at position {position}")
            steps.append(_Child(name.group(0)))
            position += name.end()
            continue
        if rest.startswith("[*]"):
            steps.append(_Wildcard())
            position += 3
            continue
        if match := _FILTER.match(rest):
            parts = re.findall(r"\.([A-Za-z_$][\w$\-]*)|\[['\"]([^'\"]*)['\"]\]", match[1])
            key = tuple(dotted or quoted for dotted, quoted in parts)
            steps.append(_Filter(key, match[2] == "==", _literal(match[3])))
            position += match.end()
            continue
        if match := _QUOTED.match(rest):
            name_value = match[1] if match[1] is not None else json.loads(f'"{match[2]}"')
            steps.append(_Child(name_value))
            position += match.end()
            continue
        if match := _NUMBER.match(rest):
            steps.append(_Index(int(match[1])))
            position += match.end()
            continue
        raise fail(f"unsupported syntax at position {position}: '{rest[:20]}'")
    if not steps:
        raise fail("selects the whole document; name a key to replace")
    return tuple(steps)


def _literal(token: str) -> object:
    if token.startswith("'"):
        return token[1:-1]
    return json.loads(token)
