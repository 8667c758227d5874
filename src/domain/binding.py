"""Binding a source item to a target workspace: parameters, then logical ids become real ids.

Errors never show a value the rules took from outside their files (`ParameterRules.sensitive`).
While planning, binding also notes what each item refers to (`BindingContext.references`), so that a
reference that would dangle is refused before any write (see `dangling.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fabctl.domain.dangling import LOGICAL_ID, Reference
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.dynamic_values import is_dynamic, parse_dynamic_value
from fabctl.domain.errors import DomainError, InvalidConfiguration, InvalidSource
from fabctl.domain.items import ZERO_GUID, Item, ItemKey
from fabctl.domain.kql_cluster_uri import fill_cluster_uris
from fabctl.domain.parameters import (
    ALL_ENVIRONMENTS,
    FindReplace,
    KeyValueReplace,
    ParameterRules,
    PoolResolver,
    Resolver,
    SparkPool,
    SparkPoolTarget,
    resolve_value,
)
from fabctl.domain.redaction import secret_name
from fabctl.domain.references import REPORT_BINDING_PART, model_key_from_path, report_model_path
from fabctl.domain.shortcuts import SHORTCUT_HOLDER, SHORTCUTS_PART
from fabctl.domain.workspace import Workspace


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
    # The target pool of a spark_pool rule; None (no Fabric to ask) gives a placeholder.
    resolve_pool: PoolResolver | None = None
    # Every logical id fabctl knows (lower case) -> its item: the source's, then its deployment records'.
    logical_ids: Mapping[str, ItemKey] = field(default_factory=dict)
    # When set, `bind` notes here, per item, what it refers to (a plan checks that none dangles).
    references: dict[ItemKey, set[Reference]] | None = None
    # The source being deployed: an empty KQL `clusterUri` is filled from the KQL database it holds.
    source: Workspace | None = None


def bind(item: Item, rules: ParameterRules, context: BindingContext) -> ItemDefinition:
    """The definition `item` must have in the target workspace."""
    try:
        return _bind(item, rules, context)
    except DomainError as e:
        raise rules.redactions().redact_error(e) from None


def _bind(item: Item, rules: ParameterRules, context: BindingContext) -> ItemDefinition:
    if context.references is not None:
        context.references[item.key] = set()  # bound again: what it refers to now, not in addition

    def rewrite(part: DefinitionPart, text: str) -> str:
        part_path = f"{item.source_path}/{part.path}" if item.source_path else part.path
        # fabric-cicd order: a KQL data source's cluster, the Environment's pool, then the parameters.
        text = _fill_cluster_uris(item, part, part_path, text, context)
        text = _bind_spark_pool(item, part, text, rules, context)
        text = _apply_parameters(item, part_path, text, rules, context)
        text = _replace_logical_ids(item, part_path, text, context)
        if item.type == SHORTCUT_HOLDER and part.path == SHORTCUTS_PART:
            return text  # its zero GUIDs mean this workspace *or* this lakehouse: see shortcuts.resolve_defaults
        return text.replace(ZERO_GUID, context.workspace_id)

    bound = item.definition.without_platform().map_text(rewrite)
    if item.type == "Report":
        bound = _bind_report_to_model(item, bound, context)
    return bound


def _note(context: BindingContext, item: Item, reference: Reference) -> None:
    if context.references is not None and reference.target != item.key:
        context.references.setdefault(item.key, set()).add(reference)


def _fill_cluster_uris(item: Item, part: DefinitionPart, part_path: str, text: str, context: BindingContext) -> str:
    if context.source is None:
        return text

    def resolve(value: str) -> str:
        _note_value(context, item, part_path, value)
        return _resolve(value, part_path, context)

    return fill_cluster_uris(item, part.path, text, context.source, resolve)


SPARK_COMPUTE_PART = "Setting/Sparkcompute.yml"
_POOL_KEY = "instance_pool_id"


def _bind_spark_pool(
    item: Item, part: DefinitionPart, text: str, rules: ParameterRules, context: BindingContext
) -> str:
    """spark_pool: an Environment's `instance_pool_id` named by a rule becomes the target pool's id."""
    if item.type != "Environment" or part.path != SPARK_COMPUTE_PART or not rules.spark_pool or _POOL_KEY not in text:
        return text
    if rules.yaml is None:
        raise InvalidConfiguration(
            f"cannot edit '{item.source_path or item.name}/{part.path}': no YAML support was given to binding",
            subject=rules.spark_pool[0].origin,
            field=_POOL_KEY,
        )
    try:
        document = rules.yaml.load(text)
    except ValueError:
        return text  # not YAML: nothing a rule can name
    if not isinstance(document, dict) or document.get(_POOL_KEY) is None:
        return text
    rule = rules.spark_pool_for(item.name, str(document[_POOL_KEY]), context.environment)
    target = rule.target_for(context.environment) if rule else None
    if rule is None or target is None:
        return text
    context.matches[rule.origin] = context.matches.get(rule.origin, 0) + 1
    document[_POOL_KEY] = _pool_id(rule, target, context)
    return rules.yaml.dump(document)


def _pool_id(rule: SparkPool, target: SparkPoolTarget, context: BindingContext) -> str:
    if context.resolve_pool is None:
        return f"<id of {target.type} pool '{target.name}'>"
    key = context.environment if context.environment in rule.replace else ALL_ENVIRONMENTS
    try:
        return context.resolve_pool(rule, target)
    except DomainError as e:
        raise type(e)(e.message, subject=rule.origin, field=f"replace_value.{key}.name") from e


def _apply_parameters(item: Item, part_path: str, text: str, rules: ParameterRules, context: BindingContext) -> str:
    # fabric-cicd order: key_value_replace first, then find_replace.
    for kv_rule in rules.key_value_replace:
        new_value = kv_rule.replacement_for(context.environment)
        if new_value is None or not kv_rule.applies_to(item.type, item.name, part_path):
            continue
        before = text
        text = _replace_key_value(kv_rule, new_value, part_path, text, rules, context)
        if text is not before and isinstance(new_value, str):
            _note_value(context, item, part_path, new_value)
    for rule in rules.find_replace:
        value = rule.replacement_for(context.environment)
        if value is None or not rule.applies_to(item.type, item.name, part_path):
            continue
        if rule.pattern().search(text) is None:
            # No match, no value: a dynamic value is resolved only where it is written, so an item
            # depends only on the items named by values that land in it.
            context.matches.setdefault(rule.origin, 0)
            continue
        text, count = rule.apply(text, _resolve(value, rule.origin, context))
        context.matches[rule.origin] = context.matches.get(rule.origin, 0) + count
        _note_value(context, item, part_path, value)
    return text


def _note_value(context: BindingContext, item: Item, part_path: str, value: str) -> None:
    """A `$items` value written into the part refers to that item (it was resolved: it parses)."""
    if context.references is None or not is_dynamic(value) or secret_name(value) is not None:
        return
    parsed = parse_dynamic_value(value)
    if parsed.names_target_item and parsed.item is not None:
        _note(context, item, Reference(part_path, parsed.item, f"'{value}'"))


def _resolve(value: str, origin: str, context: BindingContext) -> str:
    """A dynamic value, with any error naming the rule that uses it."""
    try:
        return resolve_value(value, context.resolve)
    except DomainError as e:
        raise type(e)(e.message, subject=origin, field="replace_value") from e


def _replace_key_value(
    rule: KeyValueReplace, value: object, part_path: str, text: str, rules: ParameterRules, context: BindingContext
) -> str:
    """Like fabric-cicd: a part that parses as JSON is edited as JSON, else one that parses as YAML as YAML.

    A part nested deeper than Python's parsers, JSONPath or the writer can recurse is refused, naming it:
    it cannot be edited, and leaving it as it is would deploy it unparameterized."""
    try:
        return _edit_structured(rule, value, part_path, text, rules, context)
    except RecursionError:
        raise InvalidSource(
            "is nested too deeply to be edited as JSON or YAML by key_value_replace", subject=part_path
        ) from None


def _edit_structured(
    rule: KeyValueReplace, value: object, part_path: str, text: str, rules: ParameterRules, context: BindingContext
) -> str:
    context.matches.setdefault(rule.origin, 0)
    document, is_yaml = _parse_structured(text, part_path, rules)
    if document is None:
        return text
    if is_yaml and rules.yaml is None:
        raise InvalidConfiguration(
            f"cannot edit the YAML part '{part_path}': no YAML support was given to binding",
            subject=rule.origin,
            field="find_key",
        )
    try:
        if not rule.find_key.find(document):
            return text  # no match, no value (see _apply_parameters)
        resolved = _resolve(value, rule.origin, context) if isinstance(value, str) else value
        count = rule.find_key.replace(document, resolved)
    except InvalidConfiguration as e:
        if e.field != "find_key":
            raise
        raise InvalidConfiguration(f"{e.message}, on '{part_path}'", subject=e.subject, field=e.field) from None
    context.matches[rule.origin] += count
    if not count:
        return text
    if is_yaml:
        assert rules.yaml is not None
        return rules.yaml.dump(document)
    return json.dumps(document, indent=2 if "\n" in text.strip() else None, ensure_ascii=False)


def _parse_structured(text: str, part_path: str, rules: ParameterRules) -> tuple[object | None, bool]:
    try:
        document = json.loads(text)
    except ValueError:
        pass
    else:
        return (document, False) if isinstance(document, dict | list) else (None, False)
    if rules.yaml is None:
        # Without a codec only a part that is plainly YAML is an error; other text parts are skipped.
        return ({}, True) if part_path.lower().endswith((".yml", ".yaml")) else (None, False)
    try:
        document = rules.yaml.load(text)
    except ValueError:
        return None, False
    return (document, True) if isinstance(document, dict | list) else (None, False)


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _replace_logical_ids(item: Item, part_path: str, text: str, context: BindingContext) -> str:
    def swap(match: re.Match[str]) -> str:
        guid = match.group(0).lower()
        if context.references is not None and (target := context.logical_ids.get(guid)) is not None:
            _note(context, item, Reference(part_path, target, f"{LOGICAL_ID} {guid}"))
        return context.ids_by_logical_id.get(guid, match.group(0))

    return _GUID.sub(swap, text)


REPORT_DEFINITION_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json"
)


def _bind_report_to_model(item: Item, definition: ItemDefinition, context: BindingContext) -> ItemDefinition:
    """A report bound `byPath` in git must be bound `byConnection` to the deployed model."""
    path = report_model_path(definition)
    model = model_key_from_path(path) if path else None
    model_id = context.ids_by_key.get(model) if model else None
    part = definition.part(REPORT_BINDING_PART)
    if model is None or part is None or part.text is None:
        return definition
    part_path = f"{item.source_path}/{part.path}" if item.source_path else part.path
    _note(context, item, Reference(part_path, model, f"byPath '{path}'"))
    pbir = json.loads(part.text)
    # As fabric-cicd 1.4.0 writes it (so both tools deploy the same part): the definitionProperties
    # schema, `byConnection` alone, four-space indentation.
    pbir["$schema"] = REPORT_DEFINITION_SCHEMA
    pbir["datasetReference"] = {
        "byConnection": {
            "connectionString": None,
            "pbiServiceModelId": None,
            "pbiModelVirtualServerName": "sobe_wowvirtualserver",
            "pbiModelDatabaseName": model_id or f"<id of {model} after deployment>",
            "name": "EntityDataSource",
            "connectionType": "pbiServiceXmlaStyleLive",
        },
    }
    rebound = DefinitionPart.from_text(REPORT_BINDING_PART, json.dumps(pbir, indent=4))
    return ItemDefinition.of([rebound if p.path == REPORT_BINDING_PART else p for p in definition.parts])


def unmatched_find_rules(rules: ParameterRules, context: BindingContext) -> list[FindReplace]:
    """find_replace rules (regex or literal) that apply to this environment but matched nothing: a likely typo."""
    return [
        r
        for r in rules.find_replace
        if r.replacement_for(context.environment) is not None and not context.matches.get(r.origin)
    ]


def unmatched_key_rules(rules: ParameterRules, context: BindingContext) -> list[KeyValueReplace]:
    """key_value_replace rules that apply to this environment but found their key in no part."""
    return [
        r
        for r in rules.key_value_replace
        if r.replacement_for(context.environment) is not None and not context.matches.get(r.origin)
    ]


def unmatched_pool_rules(rules: ParameterRules, context: BindingContext) -> list[SparkPool]:
    """spark_pool rules that apply to this environment but whose pool id no Environment uses."""
    return [
        r
        for r in rules.spark_pool
        if r.target_for(context.environment) is not None and not context.matches.get(r.origin)
    ]


def check_all_rules_matched(rules: ParameterRules, context: BindingContext) -> None:
    """Call after binding every item and before any write: a rule that matched nothing is a likely typo,
    and so is a dynamic value naming nothing, even in a rule that matched nothing."""
    try:
        _check_all_rules_matched(rules, context)
    except DomainError as e:
        raise rules.redactions().redact_error(e) from None


def _check_all_rules_matched(rules: ParameterRules, context: BindingContext) -> None:
    values: list[tuple[object, str]] = [(r.replacement_for(context.environment), r.origin) for r in rules.find_replace]
    values += [(r.replacement_for(context.environment), r.origin) for r in rules.key_value_replace]
    for value, origin in values:
        if isinstance(value, str):
            _resolve(value, origin, context)
    unmatched = unmatched_find_rules(rules, context)
    if unmatched:
        rule = unmatched[0]
        kind = "regex" if rule.is_regex else "text"
        raise InvalidConfiguration(
            f"{kind} '{rule.find}' matched nothing in the items it applies to", subject=rule.origin, field="find_value"
        )
    keys = unmatched_key_rules(rules, context)
    if keys:
        raise InvalidConfiguration(
            f"JSONPath '{keys[0].find_key.expression}' matched nothing in the JSON/YAML parts it applies to",
            subject=keys[0].origin,
            field="find_key",
        )
    pools = unmatched_pool_rules(rules, context)
    if pools:
        raise InvalidConfiguration(
            f"'{pools[0].instance_pool_id}' matched nothing: no Environment's {SPARK_COMPUTE_PART} "
            "it applies to uses this pool",
            subject=pools[0].origin,
            field="instance_pool_id",
        )
