"""Unified diffs per changed part: text parts line by line, binary parts by size."""

from __future__ import annotations

from fabctl.application.deployment.diff import definition_diffs, part_diff
from fabctl.domain.definition import DefinitionPart, ItemDefinition


def text(path: str, content: str) -> DefinitionPart:
    return DefinitionPart.from_text(path, content)


def test_an_added_line_is_the_only_line_added() -> None:
    before = ItemDefinition.of([text("nb.py", "a\nb\n"), text(".platform", "{}")])
    after = ItemDefinition.of([text("nb.py", "a\nb\nc\n"), text(".platform", '{"x": 1}')])

    diffs = definition_diffs(after, before)

    assert list(diffs) == ["nb.py"]  # .platform is metadata, never diffed
    lines = diffs["nb.py"].splitlines()
    assert lines[:2] == ["--- a/nb.py", "+++ b/nb.py"]
    assert [line for line in lines[2:] if line.startswith(("+", "-"))] == ["+c"]


def test_equal_parts_and_line_endings_give_no_diff() -> None:
    crlf = ItemDefinition.of([text("x", "a\r\nb\r\n")])

    assert definition_diffs(crlf, ItemDefinition.of([text("x", "a\nb\n")])) == {}


def test_added_and_removed_parts_diff_against_dev_null() -> None:
    diffs = definition_diffs(ItemDefinition.of([text("new", "x\n")]), ItemDefinition.of([text("old", "y\n")]))

    assert diffs["new"].splitlines()[:2] == ["--- /dev/null", "+++ b/new"]
    assert "+x" in diffs["new"].splitlines()
    assert diffs["old"].splitlines()[:2] == ["--- a/old", "+++ /dev/null"]
    assert "-y" in diffs["old"].splitlines()


def test_a_binary_part_is_reported_by_size() -> None:
    before = DefinitionPart("img.png", b"\x89PNG\x00\x01")
    after = DefinitionPart("img.png", b"\x89PNG\x00\x01\x02\x03")

    assert part_diff("img.png", after, before) == "binary part differs (6 -> 8 bytes)"
    assert part_diff("img.png", after, after) == ""


def test_a_missing_final_newline_is_marked() -> None:
    diff = part_diff("x", text("x", "a\nb"), text("x", "a\n"))

    assert diff.endswith("+b\n\\ No newline at end of file\n")
