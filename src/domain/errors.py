"""Domain errors: each one is something a user can cause and fix.

Every error carries a `subject` (the file, request or transaction it is about) and, where it
applies, the `field` at fault, so the edge can render one precise message.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule was broken. Rendered to users as one clear line, never a traceback."""

    def __init__(self, message: str, *, subject: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject
        self.field = field

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.subject, self.field and f"field '{self.field}'") if part)
        return f"{where}: {self.message}" if where else self.message


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
