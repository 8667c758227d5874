"""Every way Python's `re` refuses a pattern is one `InvalidRegex` with a reason, never a traceback."""

from __future__ import annotations

import re

import pytest

from fabctl.domain.regex import InvalidRegex, RegexTooLarge, compile_regex


def test_a_valid_pattern_is_compiled_with_its_flags() -> None:
    pattern = compile_regex("sales-(dev|test)", re.IGNORECASE)

    assert pattern.fullmatch("SALES-Test")


def test_bad_syntax_is_an_invalid_regex_but_not_too_large() -> None:
    with pytest.raises(InvalidRegex) as caught:
        compile_regex("Sales [old")

    assert not isinstance(caught.value, RegexTooLarge)
    assert str(caught.value).startswith("invalid regex: unterminated character set")


@pytest.mark.parametrize(
    ("pattern", "raised_by_re", "reason"),
    [
        ("a{99999999999}", OverflowError, "the repetition number is too large"),
        ("(" * 1000 + ")" * 1000, RecursionError, "nested too deeply"),
    ],
    ids=["repetition-overflow", "nesting"],
)
def test_a_pattern_beyond_re_limits_is_too_large(pattern: str, raised_by_re: type[Exception], reason: str) -> None:
    with pytest.raises(raised_by_re):
        re.compile(pattern)  # what the readers let through before: not a re.error

    with pytest.raises(RegexTooLarge) as caught:
        compile_regex(pattern)

    assert reason in str(caught.value)
    assert pattern not in str(caught.value)  # it may hold a value from $ENV:
