"""How the promotion rules that apply to each item, and their refusals, are shown: by `fabctl rules check`
and `fabctl promote request` alike (text and JSON), from one `Evaluation`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from fabctl.domain.promotion_rules import Evaluation, PromotionRule


def rules(judged: Evaluation) -> None:
    """Each item's rule and where it came from, then each refusal."""
    for applied in judged.applied:
        click.echo(f"{applied.item}: {summary(applied.rule)}  [{applied.rule.origin}]")
    for refusal in judged.refusals:
        click.secho(f"refused: {refusal}", fg="red")


def rules_json(judged: Evaluation) -> dict[str, Any]:
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    return {
        "passed": not judged.refusals,
        "emergency": judged.emergency,
        "items": [{"item": a.item, "rule": to_jsonable(a.rule)} for a in judged.applied],
        "refusals": [{"rule": r.rule, "message": r.message, "origin": r.origin} for r in judged.refusals],
    }


def summary(rule: PromotionRule) -> str:
    parts = [
        f"approvals {rule.approvals if rule.approvals is not None else 'as the environment says'}",
        *([f"groups {' or '.join(rule.approver_groups)}"] if rule.approver_groups else []),
        *([f"from {', '.join(rule.allowed_sources)}"] if rule.allowed_sources else []),
        *([f"change {rule.change_pattern}"] if rule.change_pattern else []),
        *([f"freeze {'; '.join(w.describe() for w in rule.freeze_windows)}"] if rule.freeze_windows else []),
        *([f"emergency by {rule.emergency_approvers}"] if rule.emergency_approvers else []),
        *([f"at most {rule.max_items} items"] if rule.max_items else []),
        *([f"validations {', '.join(rule.validations)}"] if rule.validations else []),
    ]
    return "; ".join(parts)
