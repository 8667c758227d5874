"""`plan --output markdown`: the plan as a pull request comment or a `$GITHUB_STEP_SUMMARY` section.

Built from the same `DeploymentPlan` (and redacted diffs) the text and JSON outputs show: no second
derivation of what would change. Only names, counts, reasons and flags are written, never a value
read from the environment or a secret store (the diffs come here already redacted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fabctl.domain.plan import DeploymentPlan


def cell(text: str) -> str:
    """`text` safe inside a table cell: a `|` would end the cell, `<` would start HTML, a newline the row."""
    escaped = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.splitlines())


def _code(text: str) -> str:
    """`text` as inline code, with a fence longer than any run of backticks in it."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{cell(text)}{padding}{fence}"


def plan(plan: DeploymentPlan, diffs: dict[str, dict[str, str]] | None = None) -> str:
    """The markdown document; ends with a newline so documents appended to one file stay apart."""
    from fabctl.entrypoints.cli.render import features

    created = "" if plan.workspace_exists else " (will be created)"
    lines = [f"### fabctl plan: {_code(plan.environment)}, workspace {_code(plan.workspace_name)}{created}", ""]
    counts = plan.counts()
    lines += ["| " + " | ".join(counts) + " |", "|" + "---:|" * len(counts)]
    lines += ["| " + " | ".join(str(n) for n in counts.values()) + " |", ""]
    lines.append("Changes pending." if plan.has_changes else "No changes.")
    lines.append("")
    if plan.folders_to_create:
        lines += ["Folders to create: " + ", ".join(_code(folder) for folder in plan.folders_to_create), ""]
    if plan.changes:
        lines += ["| action | type | name | reason |", "|---|---|---|---|"]
        for change in plan.changes:
            reason = change.reason + (" (drifted in the workspace)" if change.drift else "")
            row = (change.kind.value, change.key.type, change.key.name, reason)
            lines.append("| " + " | ".join(cell(value) for value in row) + " |")
        lines.append("")
    if plan.warnings:
        lines += ["**Warnings**", ""] + [f"- {cell(warning)}" for warning in plan.warnings] + [""]
    if plan.features:
        lines += [f"Flags in force: {cell(features(plan.features))}", ""]
    for item, parts in (diffs or {}).items():
        for path, diff in parts.items():
            lines += _diff(f"{item}: {path}", diff)
    return "\n".join(lines).rstrip("\n") + "\n"


def _diff(title: str, diff: str) -> list[str]:
    """One part's unified diff, folded away under its name."""
    fence = "`" * max(3, max((len(run) for run in re.findall("`{3,}", diff)), default=0) + 1)
    body = diff if diff.endswith("\n") else diff + "\n"
    summary = f"<details><summary>{cell(title)}</summary>"
    return [summary, "", f"{fence}diff", body.rstrip("\n"), fence, "", "</details>", ""]
