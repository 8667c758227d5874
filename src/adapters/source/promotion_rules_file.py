"""Promotion rules as YAML: fabctl's templates (package data) and the project's overrides.

Precedence, field by field (a field a layer does not set is taken from the layer below):

1. `environments.<env>.promotion.rules.<ItemType>` in workspace-config.yaml,
2. `environments.<env>.promotion.rules.default` there,
3. fabctl's template for the type (`rule_templates/<type>.yaml`), else its `default.yaml`.

A rule sets any of: `approvals`, `approver_groups`, `allowed_sources`, `change_pattern` (a regex the whole
`--change` must match), `validations`, `freeze_windows` (each `{from: "Friday 16:00", to: "Monday 08:00",
time_zone: Europe/Amsterdam, name: ...}`), `emergency_approvers` (a group) and `max_items`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from fabctl.adapters.source.validators import valid_regex
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.freeze_windows import DAYS, FreezeWindow
from fabctl.domain.promotion_rules import DEFAULT_RULE, PromotionRule, RuleSet
from fabctl.domain.validation.required import REQUIRABLE

TEMPLATES = "rule_templates"


def _day_and_time(value: str) -> str:
    day, _, clock = value.strip().partition(" ")
    if day.lower() not in DAYS or len(clock.strip()) != 5:
        raise ValueError(f"'{value}' is not a day and a time, e.g. 'Friday 16:00'")
    return f"{day.lower()} {clock.strip()}"


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _requirable(names: list[str]) -> list[str]:
    for name in names:
        if name not in REQUIRABLE:
            raise ValueError(f"'{name}' is not a validation; use one of {', '.join(REQUIRABLE)}")
    return names


# The JSON Schema annotations (`schemas.py`) change no validation.
DayTime = Annotated[
    str,
    AfterValidator(_day_and_time),
    WithJsonSchema(
        {"type": "string", "pattern": "^\\s*[A-Za-z]+ \\s*[0-9]{2}:[0-9]{2}\\s*$", "examples": ["Friday 16:00"]}
    ),
]
Name = Annotated[str, Field(min_length=1)]
Names = Annotated[list[Name], BeforeValidator(_as_list, json_schema_input_type=Name | list[Name])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FreezeWindowModel(_Strict):
    start: DayTime = Field(alias="from")
    end: DayTime = Field(alias="to")
    time_zone: Annotated[str, Field(min_length=1)]
    name: str = ""


class RuleModel(_Strict):
    approvals: Annotated[int, Field(ge=0)] | None = None
    approver_groups: Names = Field(default_factory=list)
    allowed_sources: Names = Field(default_factory=list)
    change_pattern: Annotated[str, AfterValidator(valid_regex)] = ""
    validations: Annotated[Names, AfterValidator(_requirable)] = Field(default_factory=list)
    freeze_windows: list[FreezeWindowModel] = Field(default_factory=list)
    emergency_approvers: str = ""
    max_items: Annotated[int, Field(ge=0)] = 0


class TemplateModel(RuleModel):
    item_type: str


def rule_set(project: Mapping[str, RuleModel], *, subject: str, field: str) -> RuleSet:
    """The rules of one environment: the templates under the project's `rules` (at `field` of `subject`)."""
    templates = shipped_templates()
    names = {*templates, *project}
    rules = {}
    for name in sorted(names):
        layers: list[tuple[str, RuleModel]] = []
        template = templates.get(name) or templates.get(DEFAULT_RULE)
        if template is not None:
            layers.append((f"fabctl template {template[0]}", template[1]))
        if name != DEFAULT_RULE and DEFAULT_RULE in project:
            layers.append((f"{Path(subject).name} {field}.{DEFAULT_RULE}", project[DEFAULT_RULE]))
        if name in project:
            layers.append((f"{Path(subject).name} {field}.{name}", project[name]))
        rules[name] = _merged(layers, subject=subject, field=f"{field}.{name}")
    return RuleSet(rules)


def _merged(layers: list[tuple[str, RuleModel]], *, subject: str, field: str) -> PromotionRule:
    values: dict[str, Any] = {}
    origins: list[str] = []
    for origin, model in layers:
        given = model.model_fields_set - {"item_type"}
        if given or not origins:
            origins.append(origin)
        values.update({name: getattr(model, name) for name in given})
    merged = RuleModel.model_validate(values)
    windows = []
    for index, window in enumerate(merged.freeze_windows):
        start_day, _, start = window.start.partition(" ")
        end_day, _, end = window.end.partition(" ")
        try:
            windows.append(FreezeWindow(start_day, start, end_day, end, window.time_zone, window.name))
        except InvalidConfiguration as e:
            part = {"start": "from", "start_day": "from", "end": "to", "end_day": "to"}.get(e.field, e.field)
            raise InvalidConfiguration(
                e.message, subject=subject, field=f"{field}.freeze_windows[{index}].{part}"
            ) from None
    return PromotionRule(
        approvals=merged.approvals,
        approver_groups=tuple(merged.approver_groups),
        allowed_sources=tuple(merged.allowed_sources),
        change_pattern=merged.change_pattern,
        validations=tuple(merged.validations),
        freeze_windows=tuple(windows),
        emergency_approvers=merged.emergency_approvers,
        max_items=merged.max_items,
        origin=" < ".join(origins),
    )


def shipped_templates() -> dict[str, tuple[str, TemplateModel]]:
    """fabctl's templates by the item type they are for ("default" included): (file name, rule)."""
    from fabctl.adapters.source.config_files import validate_model

    found = {}
    for entry in sorted(resources.files(__package__).joinpath(TEMPLATES).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            template = validate_model(TemplateModel, yaml.safe_load(entry.read_text(encoding="utf-8")), entry.name)
            found[template.item_type] = (entry.name, template)
    return found
