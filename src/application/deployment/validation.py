"""The validation gates of a plan: errors refuse it before any write, warnings go with it.

The checks themselves are pure (`domain/validation/`); the planner runs them on each item's bound
definition while it holds it (so memory stays that of one item) and hands the findings here.
Only the items the plan writes are gated: an unchanged item is already what the target holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.environments import Environment
from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.validation.checks import check_definition
from fabctl.domain.validation.findings import Finding, Level


class ValidationFailed(InvalidSource):
    """An item the deployment would write fails a validation gate configured as an error; `failed`: each
    (item "Name.Type", check) that did, so a promotion can name the rule that required the check."""

    def __init__(self, message: str, *, failed: Iterable[tuple[str, str]] = (), **where: Any) -> None:
        super().__init__(message, **where)
        self.failed = tuple(dict.fromkeys(failed))


def findings_of(item: Item, desired: ItemDefinition, environment: Environment) -> list[Finding]:
    return check_definition(item.type, item.source_path, desired, environment.validation)


def gate(
    findings: Mapping[ItemKey, list[Finding]], written: Iterable[ItemKey], environment: Environment, subject: str
) -> tuple[str, ...]:
    """Raise one `ValidationFailed` listing every error of the items `written`; their warnings."""
    settings = environment.validation
    errors: list[str] = []
    failed: list[tuple[str, str]] = []
    warnings: list[str] = []
    for key in sorted(set(written) & findings.keys()):
        for finding in findings[key]:
            level = settings.level(finding.check)
            (errors if level is Level.ERROR else warnings).append(finding.located(str(key)))
            if level is Level.ERROR:
                failed.append((str(key), finding.check))
    if errors:
        also = [("validation", e) for e in errors[1:]]
        raise ValidationFailed(errors[0], failed=failed, subject=subject, field="validation", also=also)
    return tuple(f"validation: {w}" for w in warnings)
