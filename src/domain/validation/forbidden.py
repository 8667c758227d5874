"""After parameterization, no value of another environment remains (the environment's forbidden patterns)."""

from __future__ import annotations

from fabctl.domain.regex import compile_regex
from fabctl.domain.validation.findings import FORBIDDEN_VALUES, Finding, ForbiddenPattern
from fabctl.domain.validation.lines import line_of


def forbidden_findings(part_path: str, text: str, patterns: tuple[ForbiddenPattern, ...]) -> list[Finding]:
    """A finding for the first match of each pattern on each line of the bound content."""
    found = set()
    for forbidden in patterns:
        why = f" ({forbidden.why})" if forbidden.why else ""
        message = f"still holds '{forbidden.pattern}'{why}: parameterize it for this environment"
        for match in compile_regex(forbidden.pattern).finditer(text):
            found.add(Finding(part_path, line_of(text, match.start()), FORBIDDEN_VALUES, message))
    return sorted(found)
