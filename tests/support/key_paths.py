"""Key paths as the recorded reference writes them (`value[].{id, sensitivityLabel.id}`), expanded and
checked against a JSON value. The syntax is described in recorded_fabric.py."""

from __future__ import annotations

from typing import Any


def _split_top_level(text: str) -> list[str]:
    """`a, b.{c, d}, e` -> ["a", "b.{c, d}", "e"]: commas inside braces do not split."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            raise ValueError(f"unbalanced braces in key paths {text!r}")
        current.append(char)
    if depth != 0:
        raise ValueError(f"unbalanced braces in key paths {text!r}")
    parts.append("".join(current))
    return [p for p in (part.strip() for part in parts) if p]


def expand(key_paths: str) -> list[str]:
    """Every leaf path: `a.{b, c.{d, e}}, f` -> ["a.b", "a.c.d", "a.c.e", "f"]."""
    text = "".join(key_paths.split())
    leaves: list[str] = []
    for path in _split_top_level(text):
        brace = path.find("{")
        if brace < 0:
            leaves.append(path)
            continue
        if not path.endswith("}") or (brace and path[brace - 1] != "."):
            raise ValueError(f"a brace group must end a path and follow a dot: {path!r}")
        prefix = path[:brace]
        leaves.extend(prefix + inner for inner in expand(path[brace + 1 : -1]))
    return leaves


def missing(value: Any, path: str) -> list[str]:
    """What of the leaf `path` `value` lacks, as readable reasons; [] when all is there."""
    return _missing(value, path.split("."), "")


def _missing(value: Any, segments: list[str], where: str) -> list[str]:
    if not segments:
        return []
    head, rest = segments[0], segments[1:]
    if head == "*":
        return [] if isinstance(value, dict) else [f"{where or 'the body'} is not an object"]
    optional = head.endswith("?")
    name = head.removesuffix("?")
    listed = name.endswith("[]")
    name = name.removesuffix("[]")
    here = f"{where}.{name}" if where else name
    if not isinstance(value, dict):
        return [f"{where or 'the body'} is not an object (looking for {name})"]
    if name not in value:
        return [] if optional else [f"{here} is missing"]
    child = value[name]
    if not listed:
        return [] if child is None and optional else _missing(child, rest, here)
    if not isinstance(child, list) or not child:
        return [f"{here} is not a non-empty list"]
    reasons: list[str] = []
    for index, element in enumerate(child):
        reasons.extend(_missing(element, rest, f"{here}[{index}]"))
    return reasons


def every_missing(value: Any, key_paths: str) -> list[str]:
    return [reason for path in expand(key_paths) for reason in missing(value, path)]
