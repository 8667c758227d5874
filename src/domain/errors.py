"""Domain errors: each one is something a user can cause and fix.

Every error carries a `subject` (the file, request or transaction it is about) and, where it
applies, the `field` at fault, so the edge can render one precise message.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A business rule was broken. Rendered to users as one clear line, never a traceback.

    `also` holds the other problems found in the same subject, as (field, message) pairs: a file
    with three mistakes reports all three at once, the first one on the first line.
    """

    def __init__(
        self, message: str, *, subject: str = "", field: str = "", also: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject
        self.field = field
        self.also = tuple(also)

    @property
    def problems(self) -> tuple[tuple[str, str], ...]:
        """Every problem as (field, message), the first one first."""
        return ((self.field, self.message), *self.also)

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.subject, self.field and f"field '{self.field}'") if part)
        first = f"{where}: {self.message}" if where else self.message
        return "\n".join([first, *(f"  and {_field(f)}: {m}" for f, m in self.also)])


def _field(name: str) -> str:
    return f"field '{name}'" if name else "also"


class InvalidSource(DomainError):
    """The source folder or one of its files is malformed."""


class DuplicateItem(InvalidSource):
    """Two source items share a logical id or a (type, display name) key."""


class UnknownItemType(InvalidSource):
    """An item declares a type fabctl does not know."""


class UnknownEnvironment(DomainError):
    """An environment name is not defined in the workspace configuration."""


class InvalidConfiguration(DomainError):
    """The workspace configuration or parameter file is malformed."""


class IllegalTransition(DomainError):
    """A state machine was asked to move along an edge it does not have."""


class PromotionRuleViolation(DomainError):
    """A promotion rule (separation of duties, duplicate approval, validation) was broken."""


class NotFound(DomainError):
    """A promotion request, transaction or item that was asked for does not exist."""


class DependencyCycle(DomainError):
    """Items reference each other in a cycle, so no deployment order exists."""


class UnusableStateFile(DomainError):
    """A file fabctl keeps its own records in (`state.db`, `local-fabric.db`) is damaged or not a
    file fabctl wrote; the message names it and what to do."""
