"""The two YAML files users keep next to their items, validated at the edge with pydantic.

`workspace-config.yaml` lists the environments in promotion order::

    environments:            # in promotion order
      dev:
        workspace: "Sales (dev)"        # a name, created if missing;  or  workspace_id: <guid>
        capacity_id: "<guid>"           # optional
      test:
        workspace: "Sales (test)"
        promotion:                      # what promoting INTO this environment requires
          approvals: 1                  # default for every item type
          approvals_by_type: {SemanticModel: 2}
      prod:
        workspace: "Sales (prod)"
        protected: true
        promotion: {approvals: 2}

Each environment sets exactly one of `workspace` and `workspace_id`. `item_types_in_scope` (a list of
item types) and `exclude` (regexes searched in "<Name>.<Type>") may be set at the top level for every
environment and per environment: an environment's own scope replaces the global one, its excludes are
added to the global ones. fabric-cicd's `config.yml` (a file with a `core` section) is read instead by
`fabric_cicd_config`. Without a `promotion` block
an environment takes the domain default (one approval). Unknown keys are errors, so a typo such
as `protectd` cannot silently drop a protection.

`parameter.yml` is fabric-cicd's file, read by `parameter_file` (all its sections, `extend` and
`$ENV:` values). A missing parameter file means no rules, unless the user named it (`--parameter`).

Every problem raises `InvalidConfiguration` whose subject is the file and whose field is the
path of the key at fault, e.g. `environments.prod.protectd` or `find_replace[2].item_type`.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from fabctl.adapters.source.connection_config import ConnectionModel, check_secret_marker, declared_connections
from fabctl.adapters.source.documents import DocumentProblem, check_document, shown, string_values
from fabctl.adapters.source.promotion_rules_file import RuleModel, rule_set
from fabctl.adapters.source.regular_files import read_regular, reason
from fabctl.adapters.source.smoke_tests_config import SmokeTestModel, smoke_tests
from fabctl.adapters.source.validators import valid_regex
from fabctl.domain.environments import Environment, PromotionPolicy, ReleaseConfig
from fabctl.domain.errors import DomainError, InvalidConfiguration
from fabctl.domain.feature_flags import FLAG_NAMES
from fabctl.domain.item_types import KNOWN_ITEM_TYPES
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.redaction import SECRET_MARKER, SecretValues
from fabctl.domain.validation.findings import CHECKS, ForbiddenPattern, Level, ValidationSettings

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# --- shared validation helpers (also used for `.platform` files) -------------------------------


def suggest(value: str, known: Iterable[str]) -> str:
    """' (did you mean X or Y?)' when `value` looks like a typo of something known, else ''."""
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _guid(value: str) -> str:
    if not _GUID.fullmatch(value):
        raise ValueError(f"'{value}' is not a GUID")
    return value.lower()


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _known_type(value: str) -> str:
    if value not in KNOWN_ITEM_TYPES:
        raise ValueError(f"unknown item type '{value}'{suggest(value, KNOWN_ITEM_TYPES)}")
    return value


def _as_list(value: object) -> object:
    # fabric-cicd filters are "a string or a list of strings".
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def checked_path(value: str, subject: str, field: str, base: str = "") -> str:
    """`value`, a path the file `subject` names (relative to `base`), or an `InvalidConfiguration`
    saying why no file system could hold it: `open` would fail with a traceback, not a message."""
    if "\0" in value:
        raise InvalidConfiguration("is not a path: it contains a NUL character", subject=subject, field=field)
    anchor = Path(value).anchor or "."
    name_max, path_max = os.pathconf(anchor, "PC_NAME_MAX"), os.pathconf(anchor, "PC_PATH_MAX")
    longest = max(Path(value).parts, key=len, default="")
    if len(os.fsencode(longest)) > name_max:
        raise InvalidConfiguration(
            f"is not a usable path: the name '{shown(longest)}' is too long (at most {name_max} bytes)",
            subject=subject,
            field=field,
        )
    if len(os.fsencode(os.path.abspath(os.path.join(base, value)))) >= path_max:
        raise InvalidConfiguration(
            f"is not a usable path: '{shown(value)}' is too long (at most {path_max} bytes)",
            subject=subject,
            field=field,
        )
    return value


# The `WithJsonSchema` and `json_schema_input_type` annotations change no validation: they make the JSON
# Schemas `fabctl schema` prints from these models (`schemas.py`) accept what the validators accept.
GUID_PATTERN = "^" + _GUID.pattern + "$"
Guid = Annotated[str, AfterValidator(_guid), WithJsonSchema({"type": "string", "pattern": GUID_PATTERN})]
Regex = Annotated[str, AfterValidator(valid_regex)]
NonEmptyStr = Annotated[str, AfterValidator(_non_empty), WithJsonSchema({"type": "string", "pattern": r"\S"})]
ItemType = Annotated[
    str, AfterValidator(_known_type), WithJsonSchema({"type": "string", "enum": sorted(KNOWN_ITEM_TYPES)})
]
RuleName = Annotated[
    str,
    AfterValidator(lambda v: v if v == "default" else _known_type(v)),
    WithJsonSchema({"type": "string", "enum": ["default", *sorted(KNOWN_ITEM_TYPES)]}),
]
StrList = Annotated[
    list[NonEmptyStr], BeforeValidator(_as_list, json_schema_input_type=NonEmptyStr | list[NonEmptyStr] | None)
]
RegexList = Annotated[list[Regex], BeforeValidator(_as_list, json_schema_input_type=Regex | list[Regex] | None)]
# fabric-cicd writes its flags as "true"/"false"; pydantic's lax booleans take those spellings too.
LaxBool = Annotated[
    bool,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "enum": ["true", "false", "True", "False", "TRUE", "FALSE"]},
            ]
        }
    ),
]

M = TypeVar("M", bound=BaseModel)


def validate_model(model: type[M], data: object, subject: str, error: type[DomainError] = InvalidConfiguration) -> M:
    """`data` as a `model`, or one `error` naming every field at fault, the most useful one first."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error_of(e, model, subject, error) from e


def error_of(e: ValidationError, model: type[BaseModel], subject: str, error: type[DomainError]) -> DomainError:
    """One `error` for all of `e`'s problems (see `DomainError.also`)."""
    problems = [(field_path(p["loc"]), _describe(p, model)) for p in e.errors()]
    # A misspelt key also makes the real one "missing": the misspelling is the useful news.
    first = next((i for i, p in enumerate(e.errors()) if p["type"] == "extra_forbidden"), 0)
    ordered = [problems[first], *problems[:first], *problems[first + 1 :]]
    unique = list(dict.fromkeys(ordered))  # a union's branches may repeat one problem
    (field, message), *others = unique
    return error(message, subject=subject, field=field, also=others)


def field_path(loc: tuple[int | str, ...]) -> str:
    """('find_replace', 2, 'item_type') -> 'find_replace[2].item_type'."""
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key itself is invalid"
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'{suggest(str(loc[-1]), allowed)}; allowed here: " + ", ".join(allowed)
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping of keys to values"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_short":
        return "must not be empty"
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) and len(repr(value)) < 60 else ""
    return f"{error['msg']}{shown}"


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model found at `loc` accepts, to help with a typo."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else annotation
    return annotation


# --- YAML -------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys: PyYAML would silently keep the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:
            continue  # an unhashable key; construct_mapping reports it
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first defined on line {first})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: str) -> object:
    """The document in the YAML file at `path`: a regular file, of text, not nested or expanded past reason."""
    try:
        text = read_regular(path).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidConfiguration("is not UTF-8 text", subject=path) from e
    except OSError as e:
        raise InvalidConfiguration(reason(e), subject=path) from e
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidConfiguration(f"invalid YAML{where}: {e.problem or e.context}", subject=path) from e
    except yaml.YAMLError as e:
        raise InvalidConfiguration(f"invalid YAML: {e}", subject=path) from e
    except RecursionError:
        raise InvalidConfiguration("invalid YAML: lists or mappings nested too deeply", subject=path) from None
    except ValueError as e:  # a scalar PyYAML cannot convert: an integer of 5,000 digits, a 13th month
        raise InvalidConfiguration(f"invalid YAML: {str(e).split(';')[0]}", subject=path) from e
    try:
        check_document(document)
    except DocumentProblem as e:
        raise InvalidConfiguration(e.message, subject=path, field=e.field) from None
    return document


# --- workspace-config.yaml --------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromotionModel(_Strict):
    approvals: int = Field(default=1, ge=0)
    approvals_by_type: dict[ItemType, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    rules: dict[RuleName, RuleModel] = Field(default_factory=dict)  # by item type or "default" (ADR 0046)


def _off(value: object) -> object:
    return "off" if value is False else value  # YAML 1.1 reads a bare `off` as false


CheckLevel = Annotated[
    Literal["error", "warning", "off"],
    BeforeValidator(_off, json_schema_input_type=Literal["error", "warning", "off", False]),
]


class ForbiddenModel(_Strict):
    pattern: Regex
    why: str = ""


class ValidationModel(_Strict):
    """An environment's validation gates: each check's level (default error), forbidden values."""

    notebooks_compile: CheckLevel = "error"
    semantic_models_parse: CheckLevel = "error"
    forbidden_values: CheckLevel = "error"
    secrets: CheckLevel = "error"
    forbidden: list[ForbiddenModel] = Field(default_factory=list)

    def settings(self) -> ValidationSettings:
        # Only what differs from the default (error): an environment without the block equals the default.
        levels = {check: Level(level) for check in CHECKS if (level := getattr(self, check)) != "error"}
        return ValidationSettings(levels, tuple(ForbiddenPattern(f.pattern, f.why) for f in self.forbidden))


# Checked by `feature_config` (its messages name the flags); the schema lists them for editors.
Features = Annotated[
    object,
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {name: {"type": "boolean"} for name in FLAG_NAMES},
                    "additionalProperties": False,
                },
                {"type": "null"},
            ]
        }
    ),
]


class EnvironmentModel(_Strict):
    # `read_release_config` refuses both and neither; the schema says it too.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"oneOf": [{"required": ["workspace"]}, {"required": ["workspace_id"]}]},
    )

    workspace: NonEmptyStr | None = None
    workspace_id: Guid | None = None
    capacity_id: Guid | None = None
    protected: bool = False
    promotion: PromotionModel | None = None
    item_types_in_scope: list[ItemType] | None = None  # replaces the global list for this environment
    exclude: RegexList = Field(default_factory=list)
    features: Features = None  # feature flags for this environment, checked by `feature_config`
    validation: ValidationModel = Field(default_factory=ValidationModel)
    smoke_tests: list[SmokeTestModel] = Field(default_factory=list)  # run after a deployment's writes
    connections: dict[NonEmptyStr, ConnectionModel] = Field(default_factory=dict)  # see connection_config


class ReleaseConfigModel(_Strict):
    environments: dict[NonEmptyStr, EnvironmentModel] = Field(min_length=1)
    item_types_in_scope: list[ItemType] = Field(default_factory=list)  # every environment's, unless it sets one
    exclude: RegexList = Field(default_factory=list)  # added to each one's
    features: Features = None  # every environment's feature flags, unless it sets its own


def _refuse_secret_markers(document: object, path: str) -> None:
    """Only a connection's credentials take a secret: the file's other values are shown in plans and
    pinned as they are, so a `$secret:` elsewhere would be a literal that looks like a secret."""
    for where, value in string_values(document):
        if SECRET_MARKER in value:
            check_secret_marker(where, value, path)


def read_release_config(path: str) -> ReleaseConfig:
    """The environments of the workspace configuration file at `path`, in promotion order."""
    if not Path(path).exists():
        raise InvalidConfiguration(
            "workspace configuration file not found; pass --config <path>, create it "
            "(see examples/sales-workspace/workspace-config.yaml), or name the target with "
            "--workspace-id or --workspace",
            subject=path,
        )
    data = _load_yaml(path)
    if not isinstance(data, dict):
        raise InvalidConfiguration(
            "must be a YAML mapping with an 'environments' key", subject=path, field="environments"
        )
    _refuse_secret_markers(data, path)
    # Imported here: fabric_cicd_config builds on the validation helpers of this module.
    from fabctl.adapters.source.fabric_cicd_config import is_fabric_cicd_config, read_fabric_cicd_config

    if is_fabric_cicd_config(data):
        return read_fabric_cicd_config(path, data)
    config = validate_model(ReleaseConfigModel, data, path)
    from fabctl.adapters.source.feature_config import file_features, flags_in_force

    top_level = file_features(config.features, path, "features")
    environments = []
    for name, env in config.environments.items():
        if env.workspace is not None and env.workspace_id is not None:
            raise InvalidConfiguration(
                "set either 'workspace' (a name) or 'workspace_id' (a GUID), not both",
                subject=path,
                field=f"environments.{name}.workspace_id",
            )
        if env.workspace is None and env.workspace_id is None:
            raise InvalidConfiguration(
                "is required: set 'workspace' (a name) or 'workspace_id' (a GUID)",
                subject=path,
                field=f"environments.{name}.workspace",
            )
        promotion = env.promotion
        rules = rule_set(
            promotion.rules if promotion is not None else {}, subject=path, field=f"environments.{name}.promotion.rules"
        )
        policy = (
            PromotionPolicy(promotion.approvals, dict(promotion.approvals_by_type), rules)
            if promotion is not None
            else PromotionPolicy(rules=rules)
        )
        environments.append(
            Environment(
                name=name,
                workspace_name=env.workspace or "",
                workspace_id=env.workspace_id or "",
                capacity_id=env.capacity_id or "",
                protected=env.protected,
                promotion=policy,
                item_types_in_scope=tuple(
                    env.item_types_in_scope if env.item_types_in_scope is not None else config.item_types_in_scope
                ),
                exclude=(*config.exclude, *env.exclude),
                features=flags_in_force(top_level, file_features(env.features, path, f"environments.{name}.features")),
                validation=env.validation.settings(),
                smoke_tests=smoke_tests(env.smoke_tests, subject=path, field=f"environments.{name}.smoke_tests"),
                connections=declared_connections(env.connections, path, name),
            )
        )
    return ReleaseConfig(tuple(environments), source=path)


# --- parameter.yml ----------------------------------------------------------------------------


def read_parameters(path: str, *, required: bool = False, secrets: SecretValues | None = None) -> ParameterRules:
    """The rules of fabric-cicd's parameter file at `path` (see `parameter_file`); none when it does
    not exist, unless it is `required`."""
    # Imported here: parameter_file builds on the validation helpers of this module.
    from fabctl.adapters.source.parameter_file import read_parameter_file

    return read_parameter_file(path, required=required, secrets=secrets)


def _normalize_glob(pattern: str) -> str:
    # Part paths are "/"-separated and relative to the source root; users write either form.
    pattern = pattern.replace("\\", "/")
    return pattern[2:] if pattern.startswith("./") else pattern
