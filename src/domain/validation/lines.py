"""Line numbers of positions in a text: a finding names the line, never just an offset."""

from __future__ import annotations


def line_of(text: str, offset: int) -> int:
    """The 1-based line that the character at `offset` of `text` is on."""
    return text.count("\n", 0, offset) + 1
