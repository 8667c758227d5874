"""Binding a source item to a target workspace: parameters, then logical ids become real ids."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ZERO_GUID, Item, ItemKey
from fabctl.domain.parameters import FindReplace, ParameterRules, Resolver, resolve_value
from fabctl.domain.references import REPORT_BINDING_PART, model_key_from_path, report_model_path


@dataclass
class BindingContext:
    """What binding needs to know about the target, and a tally of parameter matches."""

    environment: str
    workspace_id: str
    workspace_name: str
    ids_by_logical_id: Mapping[str, str]  # lower-case logical id -> real id in the target
    ids_by_key: Mapping[ItemKey, str]
    resolve: Resolver
    matches: dict[str, int] = field(default_factory=dict)  # rule origin -> replacements made


def bind(item: Item, rules: ParameterRules, context: BindingContext) -> ItemDefinition:
    """The definition `item` must have in the target workspace."""

    def rewrite(part: DefinitionPart, text: str) -> str:
        text = _apply_parameters(item, part, text, rules, context)
        text = _replace_logical_ids(text, context)
        return text.replace(ZERO_GUID, context.workspace_id)

    bound = item.definition.without_platform().map_text(rewrite)
    if item.type == "Report":
        bound = _bind_report_to_model(bound, context)
    return bound


def _apply_parameters(
    item: Item, part: DefinitionPart, text: str, rules: ParameterRules, context: BindingContext
) -> str:
    part_path = f"{item.source_path}/{part.path}" if item.source_path else part.path
    for rule in rules.find_replace:
        value = rule.replacement_for(context.environment)
        if value is None or not rule.applies_to(item.type, item.name, part_path):
            continue
        text, count = rule.apply(text, resolve_value(value, context.resolve))
        context.matches[rule.origin] = context.matches.get(rule.origin, 0) + count
    return text


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _replace_logical_ids(text: str, context: BindingContext) -> str:
    return _GUID.sub(lambda m: context.ids_by_logical_id.get(m.group(0).lower(), m.group(0)), text)


def _bind_report_to_model(definition: ItemDefinition, context: BindingContext) -> ItemDefinition:
    """A report bound `byPath` in git must be bound `byConnection` to the deployed model."""
    path = report_model_path(definition)
    model = model_key_from_path(path) if path else None
    model_id = context.ids_by_key.get(model) if model else None
    part = definition.part(REPORT_BINDING_PART)
    if model is None or part is None or part.text is None:
        return definition
    pbir = json.loads(part.text)
    pbir["datasetReference"] = {
        "byPath": None,
        "byConnection": {
            "connectionString": None,
            "pbiServiceModelId": None,
            "pbiModelVirtualServerName": "sobe_wowvirtualserver",
            "pbiModelDatabaseName": model_id or f"<id of {model} after deployment>",
            "name": "EntityDataSource",
            "connectionType": "pbiServiceXmlaStyleLive",
        },
    }
    rebound = DefinitionPart.from_text(REPORT_BINDING_PART, json.dumps(pbir, indent=2) + "\n")
    return ItemDefinition.of([rebound if p.path == REPORT_BINDING_PART else p for p in definition.parts])


def unmatched_regex_rules(rules: ParameterRules, context: BindingContext) -> list[FindReplace]:
    """Regex rules that apply to this environment but matched nothing: a likely typo."""
    return [
        r
        for r in rules.find_replace
        if r.is_regex and r.replacement_for(context.environment) is not None and not context.matches.get(r.origin)
    ]


def check_all_rules_matched(rules: ParameterRules, context: BindingContext) -> None:
    unmatched = unmatched_regex_rules(rules, context)
    if unmatched:
        rule = unmatched[0]
        raise InvalidConfiguration(
            f"regex '{rule.find}' matched nothing in the items it applies to", subject=rule.origin, field="find_value"
        )
