"""Promotion rules: what promoting an item of a type into an environment requires, and their evaluation.

The rule for an item is its type's rule, else the `default` one. Each rule says where it comes from
(`origin`: fabctl's template, or the project's workspace-config.yaml), so a request can show why it applies.
A request's items are judged together: the strictest approvals and item limit, every freeze window, every
change pattern, every approver group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fabctl.domain.freeze_windows import FreezeWindow
from fabctl.domain.validation.findings import ValidationSettings
from fabctl.domain.validation.required import check_of, weakened

DEFAULT_RULE = "default"


@dataclass(frozen=True)
class PromotionRule:
    approvals: int | None = None  # None: the environment's `approvals` / `approvals_by_type`
    approver_groups: tuple[str, ...] = ()  # an approval counts only from a member of one of them
    allowed_sources: tuple[str, ...] = ()  # environments it may come from; () = any
    change_pattern: str = ""  # a regex the whole --change must match; "" = no change reference needed
    validations: tuple[str, ...] = ()  # names of the checks the item must pass before deploying
    freeze_windows: tuple[FreezeWindow, ...] = ()
    emergency_approvers: str = ""  # the group whose approval an --emergency request needs
    max_items: int = 0  # most items in one promotion; 0 = no limit
    origin: str = ""  # where the rule was set, shown to the user


@dataclass(frozen=True)
class RuleSet:
    rules: Mapping[str, PromotionRule] = field(default_factory=dict)  # by item type, and DEFAULT_RULE

    def for_type(self, item_type: str) -> PromotionRule:
        return self.rules.get(item_type) or self.rules.get(DEFAULT_RULE) or PromotionRule()


@dataclass(frozen=True)
class Refusal:
    rule: str  # the rule's field, e.g. "change_pattern"
    message: str
    origin: str = ""

    def __str__(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        return f"{self.rule}{where}: {self.message}"


@dataclass(frozen=True)
class AppliedRule:
    item: str  # "Name.Type"
    rule: PromotionRule


@dataclass(frozen=True)
class Evaluation:
    applied: tuple[AppliedRule, ...]
    refusals: tuple[Refusal, ...]
    emergency: bool = False  # requested in a freeze window with --emergency: needs an emergency approver

    @property
    def approver_groups(self) -> tuple[tuple[str, ...], ...]:
        """Per rule that names groups, its groups: an approver must be in one of each."""
        return tuple(dict.fromkeys(a.rule.approver_groups for a in self.applied if a.rule.approver_groups))

    @property
    def emergency_approvers(self) -> tuple[str, ...]:
        return _union((a.rule.emergency_approvers,) for a in self.applied if a.rule.emergency_approvers)

    @property
    def validations(self) -> tuple[str, ...]:
        return _union(a.rule.validations for a in self.applied)


def evaluate(
    rules: RuleSet,
    items: Iterable[str],
    *,
    source_environment: str,
    change: str,
    at: datetime,
    emergency: bool = False,
    validation: ValidationSettings | None = None,
) -> Evaluation:
    """Judge promoting `items` ("Name.Type") from `source_environment` at the instant `at`, into an environment
    whose validation gates run as `validation` says (a required validation must run there as an error)."""
    applied = tuple(AppliedRule(key, rules.for_type(key.rpartition(".")[2])) for key in sorted(items))
    refusals: list[Refusal] = []
    frozen = False
    seen: set[tuple[str, str]] = set()

    def refuse(rule: str, message: str, origin: str) -> None:
        if (rule, message) not in seen:
            seen.add((rule, message))
            refusals.append(Refusal(rule, message, origin))

    for entry in applied:
        rule, key = entry.rule, entry.item
        if rule.allowed_sources and source_environment not in rule.allowed_sources:
            allowed = ", ".join(rule.allowed_sources)
            refuse("allowed_sources", f"{key} may come only from {allowed}, not from '{source_environment}'",
                   rule.origin)  # fmt: skip
        if rule.change_pattern and not re.fullmatch(rule.change_pattern, change):
            given = f"'{change}' does not match" if change else "none given; give --change matching"
            refuse("change_pattern", f"a change reference is required: {given} {rule.change_pattern}", rule.origin)
        for window in rule.freeze_windows:
            if window.contains(at):
                frozen = True
                if not emergency:
                    refuse("freeze_windows", f"{at.isoformat()} is in the freeze window {window.describe()}; "
                           "give --emergency to ask the emergency approvers", rule.origin)  # fmt: skip
                elif not rule.emergency_approvers:
                    refuse("emergency_approvers", f"in the freeze window {window.describe()}, and no group may "
                           "approve an emergency (set emergency_approvers)", rule.origin)  # fmt: skip
        for name in rule.validations:
            level = weakened(name, validation) if validation is not None else None
            if level is not None:
                item_type = key.rpartition(".")[2]
                refuse("validations", f"{item_type} items must pass {name} before deploying, and the target "
                       f"environment's validation.{check_of(name)} is {level}, not error: set it to error there",
                       rule.origin)  # fmt: skip
        if rule.max_items and len(applied) > rule.max_items:
            refuse("max_items", f"at most {rule.max_items} items per promotion ({len(applied)} requested)",
                   rule.origin)  # fmt: skip
    return Evaluation(applied, tuple(refusals), emergency=emergency and frozen)


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for names in groups:
        for name in names:
            seen.setdefault(name)
    return tuple(seen)
