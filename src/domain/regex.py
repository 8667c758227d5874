"""Users' regular expressions (parameter.yml, workspace-config.yaml, config.yml, the CLI's filters).

Python's `re` refuses a pattern in three ways, not one: `re.error` for bad syntax, but also
`OverflowError` for a repetition count it cannot hold (`a{99999999999}`) and `RecursionError` for
groups nested deeper than its parser recurses. Every reader compiles through `compile_regex`, so
each of them reports all three as the same clear error instead of a traceback.
"""

from __future__ import annotations

import re


class InvalidRegex(ValueError):
    """The pattern is not a regular expression: its syntax is wrong."""


class RegexTooLarge(InvalidRegex):
    """The pattern is well-formed but beyond what `re` can compile (a count or a nesting too large)."""


def compile_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` compiled, or an `InvalidRegex` whose message says why, without echoing the pattern.

    The pattern is not repeated in the message: it may hold a value taken from `$ENV:`.
    """
    try:
        return re.compile(pattern, flags)
    except re.error as e:
        raise InvalidRegex(f"invalid regex: {e}") from None
    except OverflowError as e:
        raise RegexTooLarge(f"invalid regex: {e} for a regular expression") from None
    except RecursionError:
        raise RegexTooLarge("invalid regex: its groups are nested too deeply") from None
