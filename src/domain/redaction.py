"""Values that must never be shown, and what is shown in their place.

A reader that puts a value from outside the files into the rules (an environment variable through
`$ENV:NAME` today; a Key Vault secret later) records the value here with where it came from. Whatever
is built from those values for people or other systems to read (errors above all) passes through
`redact`, which puts the name back where the value was: an error then says `$ENV:TOKEN`, never the
token. See docs/adr/0018-parameters-references-and-secrets.md for what is and is not covered.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from fabctl.domain.errors import DomainError

E = TypeVar("E", bound=DomainError)


@dataclass(frozen=True)
class SensitiveValues:
    """(value, what to show instead) pairs, e.g. ("s3cr3t", "$ENV:TOKEN")."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, shown_as: Mapping[str, str]) -> SensitiveValues:
        # An empty value hides nothing, and replacing "" would put the name between every character.
        return cls(tuple((value, name) for value, name in shown_as.items() if value))

    def merged(self, other: SensitiveValues) -> SensitiveValues:
        known = dict(self.pairs)
        known.update((v, n) for v, n in other.pairs if v not in known)
        return SensitiveValues(tuple(known.items()))

    def __bool__(self) -> bool:
        return bool(self.pairs)

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.pairs:
            return None
        # Longest first, in one pass: a value that contains another is replaced whole, and a name
        # put in never has a shorter value replaced inside it.
        values = sorted({v for v, _ in self.pairs}, key=len, reverse=True)
        return re.compile("|".join(re.escape(v) for v in values))

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by the name it came from."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        shown = dict(self.pairs)
        return pattern.sub(lambda match: shown[match.group(0)], text)

    def redact_error(self, error: E) -> E:
        """The same error with its message, subject and field redacted (the original is left as is).

        Raise the copy `from None`: the original, which holds the values, is then never rendered."""
        if not self.pairs:
            return error
        message, subject, field = (self.redact(t) for t in (error.message, error.subject, error.field))
        if (message, subject, field) == (error.message, error.subject, error.field):
            return error
        redacted = copy.copy(error)
        redacted.message, redacted.subject, redacted.field = message, subject, field
        redacted.args = (message,)
        return redacted
