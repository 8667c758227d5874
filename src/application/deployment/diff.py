"""What changes, line by line: a unified diff per changed part of an item's definition.

Pure: it compares two definitions already in memory (the parameterized source and what the
target holds) and reads or writes nothing.
"""

from __future__ import annotations

import difflib

from fabctl.domain.definition import DefinitionPart, ItemDefinition

ABSENT = "/dev/null"


def part_diff(path: str, desired: DefinitionPart | None, current: DefinitionPart | None) -> str:
    """The unified diff turning `current` into `desired` ("" when equal); a note for binary parts.

    Line endings are normalized first, as the plan does, so a CRLF checkout is not a change.
    """
    wanted = desired.normalized() if desired else b""
    held = current.normalized() if current else b""
    if wanted == held and (desired is None) == (current is None):
        return ""
    binary = (desired is not None and desired.text is None) or (current is not None and current.text is None)
    if binary:
        return f"binary part differs ({len(held)} -> {len(wanted)} bytes)"
    before = held.decode("utf-8").splitlines(keepends=True)
    after = wanted.decode("utf-8").splitlines(keepends=True)
    lines = difflib.unified_diff(
        _terminated(before),
        _terminated(after),
        fromfile=f"a/{path}" if current else ABSENT,
        tofile=f"b/{path}" if desired else ABSENT,
    )
    return "".join(lines)


def definition_diffs(desired: ItemDefinition, current: ItemDefinition) -> dict[str, str]:
    """Part path -> diff, for every content part (never `.platform`) that differs, by path."""
    wanted = {p.path: p for p in desired.content_parts}
    held = {p.path: p for p in current.content_parts}
    diffs = {}
    for path in sorted(wanted.keys() | held.keys()):
        text = part_diff(path, wanted.get(path), held.get(path))
        if text:
            diffs[path] = text
    return diffs


def _terminated(lines: list[str]) -> list[str]:
    # A last line without a newline is shown as git does, so every diff line ends with one.
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n\\ No newline at end of file\n"]
    return lines
