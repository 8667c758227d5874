"""Field validators shared by the configuration files' models (pydantic `AfterValidator`s)."""

from __future__ import annotations

from fabctl.domain.regex import InvalidRegex, compile_regex


def valid_regex(value: str) -> str:
    """`value` if it compiles as a regex (fabctl's dialect, `domain.regex`), else a ValueError saying why."""
    try:
        compile_regex(value)
    except InvalidRegex as e:
        raise ValueError(str(e)) from None
    return value
