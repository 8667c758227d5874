"""fabric-cicd's `parameter.yml`, read into `ParameterRules`.

Sections: `find_replace`, `key_value_replace`, `spark_pool`, `semantic_model_binding` (legacy list or
`{default, models}`), the older `gateway_binding` (read as a semantic model binding, as fabric-cicd
does), and `extend` (other parameter files, relative to the file that names them, merged after it:
their rules come after its own, in the order listed). A missing extended file or a cycle of
`extend`s is an error; a file listed twice is read once. Every `$ENV:NAME` in a string value is
replaced by that environment variable when the file is read; a variable that is not set is an error
naming the rule; the values substituted are handed over with the rules (`ParameterRules.sensitive`)
so that no error shows them, only `$ENV:NAME`. A `$secret:NAME` value is kept as it is (the whole
value, or an error): the binder reads the secret through the rules' `SecretValues`. `replace_value` keys are environment
names, or `_ALL_` (any case) alone. `key_value_replace.find_key` is compiled with jsonpath-ng (`jsonpath.py`).

Each file is validated on its own, so an error names the file it is in, e.g. `common.yml`,
field `key_value_replace[1].find_key`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from fabctl.adapters.source.config_files import (
    ItemType,
    LaxBool,
    NonEmptyStr,
    StrList,
    _as_list,
    _load_yaml,
    _normalize_glob,
    _Strict,
    checked_path,
    validate_model,
)
from fabctl.adapters.source.documents import string_values
from fabctl.adapters.source.jsonpath import JsonPathNg
from fabctl.adapters.source.secret_markers import check_whole_secret
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.parameters import (
    ALL_ENVIRONMENTS,
    FindReplace,
    KeyValueReplace,
    ModelConnection,
    ParameterRules,
    SparkPool,
    SparkPoolTarget,
    YamlCodec,
)
from fabctl.domain.redaction import SECRET_MARKER, SecretValues, SensitiveValues
from fabctl.domain.regex import InvalidRegex, compile_regex

_ENV_TOKEN = re.compile(r"\$ENV:(\w+)")
# Where a `$secret:` value may stand: a value written into items, for one environment.
_SECRET_FIELD = re.compile(r"(find_replace|key_value_replace)\[\d+\]\.replace_value\.[^.\[]+")
TypeList = Annotated[list[ItemType], BeforeValidator(_as_list, json_schema_input_type=ItemType | list[ItemType] | None)]
# coerce_numbers_to_str: `replace_value: {test: 42}` is the text "42".
Replacement = Annotated[str, WithJsonSchema({"type": ["string", "number"]})]


class FindReplaceModel(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    find_value: NonEmptyStr
    replace_value: dict[NonEmptyStr, Replacement] = Field(min_length=1)
    is_regex: LaxBool = False  # fabric-cicd writes "true"/"false"; pydantic accepts both forms
    ignore_case: LaxBool = False
    item_type: TypeList = Field(default_factory=list)
    item_name: StrList = Field(default_factory=list)
    file_path: StrList = Field(default_factory=list)


class KeyValueReplaceModel(_Strict):
    find_key: NonEmptyStr
    replace_value: dict[NonEmptyStr, Any] = Field(min_length=1)
    item_type: TypeList = Field(default_factory=list)
    item_name: StrList = Field(default_factory=list)
    file_path: StrList = Field(default_factory=list)


class PoolModel(_Strict):
    type: Literal["Capacity", "Workspace"]
    name: NonEmptyStr


class SparkPoolModel(_Strict):
    instance_pool_id: NonEmptyStr
    replace_value: dict[NonEmptyStr, PoolModel] = Field(min_length=1)
    item_name: StrList = Field(default_factory=list)


class LegacyBindingModel(_Strict):
    connection_id: NonEmptyStr  # the same connection in every environment
    semantic_model_name: StrList = Field(min_length=1)


class DefaultBindingModel(_Strict):
    connection_id: dict[NonEmptyStr, NonEmptyStr] = Field(min_length=1)


class ModelBindingModel(_Strict):
    semantic_model_name: StrList = Field(min_length=1)
    connection_id: dict[NonEmptyStr, NonEmptyStr] = Field(min_length=1)


class BindingsModel(_Strict):
    default: DefaultBindingModel | None = None
    models: list[ModelBindingModel] = Field(default_factory=list)


class GatewayBindingModel(_Strict):
    gateway_id: NonEmptyStr
    dataset_name: StrList = Field(min_length=1)


def _same(value: object) -> object:
    return value


# A section left empty (None) is no rules.
FindReplaces = Annotated[
    list[FindReplaceModel], BeforeValidator(_as_list, json_schema_input_type=list[FindReplaceModel] | None)
]
KeyValueReplaces = Annotated[
    list[KeyValueReplaceModel], BeforeValidator(_as_list, json_schema_input_type=list[KeyValueReplaceModel] | None)
]
SparkPools = Annotated[
    list[SparkPoolModel], BeforeValidator(_as_list, json_schema_input_type=list[SparkPoolModel] | None)
]


class ParameterFileModel(_Strict):
    find_replace: FindReplaces = Field(default_factory=list)
    key_value_replace: KeyValueReplaces = Field(default_factory=list)
    spark_pool: SparkPools = Field(default_factory=list)
    # Validated below: its two formats need their own models. The no-op validator only gives the
    # JSON Schema (`schemas.py`) those two models.
    semantic_model_binding: Annotated[
        Any, BeforeValidator(_same, json_schema_input_type=list[LegacyBindingModel] | BindingsModel | None)
    ] = None
    gateway_binding: list[GatewayBindingModel] = Field(default_factory=list)
    extend: StrList = Field(default_factory=list)


class _LegacyBindings(_Strict):
    semantic_model_binding: list[LegacyBindingModel]


class _Bindings(_Strict):
    semantic_model_binding: BindingsModel


def _yaml_load(text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from e


def _yaml_dump(document: object) -> str:
    return yaml.safe_dump(document, default_flow_style=False, allow_unicode=True, sort_keys=False)


YAML_CODEC = YamlCodec(_yaml_load, _yaml_dump)


def read_parameter_file(path: str, *, required: bool = False, secrets: SecretValues | None = None) -> ParameterRules:
    """The rules of the parameter file at `path` and of the files it extends.

    A file that does not exist means no rules, unless it is `required` (named by the user): then it
    is an error naming the path. Errors never show a value taken from `$ENV:`, but its name."""
    if not Path(path).exists():
        if required:
            raise InvalidConfiguration("parameter file not found; check the path given with --parameter", subject=path)
        return ParameterRules(source=path, yaml=YAML_CODEC, secrets=secrets)
    merged = _Rules()
    try:
        _read_into(Path(path), path, merged, chain=(), seen=set())
    except InvalidConfiguration as e:
        raise SensitiveValues.of(merged.sensitive).redact_error(e) from None
    return ParameterRules(
        tuple(merged.find_replace),
        source=path,
        key_value_replace=tuple(merged.key_value_replace),
        spark_pool=tuple(merged.spark_pool),
        semantic_model_binding=tuple(merged.bindings),
        yaml=YAML_CODEC,
        sensitive=SensitiveValues.of(merged.sensitive),
        secrets=secrets,
    )


class _Rules:
    def __init__(self) -> None:
        self.find_replace: list[FindReplace] = []
        self.key_value_replace: list[KeyValueReplace] = []
        self.spark_pool: list[SparkPool] = []
        self.bindings: list[ModelConnection] = []
        self.sensitive: dict[str, str] = {}  # value taken from the environment -> "$ENV:NAME"


def _read_into(file: Path, shown: str, rules: _Rules, chain: tuple[Path, ...], seen: set[Path]) -> None:
    resolved = file.resolve()
    seen.add(resolved)
    data = _load_yaml(str(file))
    if data is None:
        return
    if not isinstance(data, dict):
        raise InvalidConfiguration("must be a YAML mapping with a 'find_replace' list", subject=shown)
    _check_secret_markers(data, shown)
    data = _substitute_environment(data, shown, "", rules.sensitive)
    parameters = validate_model(ParameterFileModel, data, shown)
    _collect(parameters, shown, rules)
    for index, relative in enumerate(parameters.extend):
        checked_path(relative, shown, f"extend[{index}]", str(file.parent))
        template = file.parent / relative
        try:
            target = template.resolve()
        except OSError as e:  # a link loop, or a name the file system refuses
            raise InvalidConfiguration(
                f"extended parameter file '{relative}' cannot be used: {e.strerror or e}",
                subject=shown,
                field=f"extend[{index}]",
            ) from e
        if target == resolved or target in chain:
            cycle = " -> ".join(str(p.name) for p in (*chain, resolved, target))
            raise InvalidConfiguration(
                f"'{relative}' extends back into itself ({cycle})", subject=shown, field=f"extend[{index}]"
            )
        if target in seen:
            continue  # listed twice: read once, as fabric-cicd does
        if not template.is_file():
            raise InvalidConfiguration(
                f"extended parameter file '{relative}' not found (looked for {template})",
                subject=shown,
                field=f"extend[{index}]",
            )
        _read_into(template, str(template), rules, (*chain, resolved), seen)


def _substitute_environment(value: object, shown: str, where: str, taken: dict[str, str]) -> Any:
    """Replace `$ENV:NAME` tokens in every string; `where` is the field path, for errors.

    Every value substituted is noted in `taken` (value -> "$ENV:NAME"), so that no error shows it."""
    if isinstance(value, dict):
        return {
            k: _substitute_environment(v, shown, f"{where}.{k}" if where else str(k), taken) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute_environment(v, shown, f"{where}[{i}]", taken) for i, v in enumerate(value)]
    if isinstance(value, str) and "$ENV:" in value:

        def swap(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise InvalidConfiguration(
                    f"environment variable '{name}' is not set (used as $ENV:{name})", subject=shown, field=where
                )
            taken.setdefault(os.environ[name], f"$ENV:{name}")
            return os.environ[name]

        return _ENV_TOKEN.sub(swap, value)
    return value


def _check_secret_markers(document: object, shown: str) -> None:
    """`$secret:NAME` is a whole value naming a secret: it is kept as it is and read when bound."""
    for where, value in string_values(document):
        if SECRET_MARKER not in value:
            continue
        if not _SECRET_FIELD.fullmatch(where):
            raise InvalidConfiguration(
                f"'{SECRET_MARKER}NAME' is taken only as a replace_value of find_replace or key_value_replace "
                "(the value written into items)",
                subject=shown,
                field=where,
            )
        check_whole_secret(value, shown, where)


def _per_environment(values: dict[str, Any], shown: str, field: str) -> dict[str, Any]:
    """fabric-cicd's `_ALL_` (any case) stands alone: it cannot be mixed with environment names."""
    all_keys = [k for k in values if k.lower() == ALL_ENVIRONMENTS.lower()]
    if all_keys and len(values) > 1:
        raise InvalidConfiguration(
            f"'{all_keys[0]}' applies to every environment and cannot be combined with environment names",
            subject=shown,
            field=field,
        )
    return {ALL_ENVIRONMENTS: values[all_keys[0]]} if all_keys else dict(values)


def _collect(parameters: ParameterFileModel, shown: str, rules: _Rules) -> None:
    for index, rule in enumerate(parameters.find_replace):
        at = f"find_replace[{index}]"
        if rule.is_regex:
            try:
                compile_regex(rule.find_value, re.IGNORECASE if rule.ignore_case else 0)
            except InvalidRegex as e:
                raise InvalidConfiguration(str(e), subject=shown, field=f"{at}.find_value") from e
        rules.find_replace.append(
            FindReplace(
                find=rule.find_value,
                replace=_per_environment(rule.replace_value, shown, f"{at}.replace_value"),
                origin=f"{shown}: {at}",
                is_regex=rule.is_regex,
                ignore_case=rule.ignore_case,
                item_types=tuple(rule.item_type),
                item_names=tuple(rule.item_name),
                file_paths=tuple(_normalize_glob(p) for p in rule.file_path),
            )
        )
    for index, kv in enumerate(parameters.key_value_replace):
        at = f"key_value_replace[{index}]"
        rules.key_value_replace.append(
            KeyValueReplace(
                find_key=JsonPathNg(kv.find_key, origin=f"{shown}: {at}", field="find_key"),
                replace=_per_environment(kv.replace_value, shown, f"{at}.replace_value"),
                origin=f"{shown}: {at}",
                item_types=tuple(kv.item_type),
                item_names=tuple(kv.item_name),
                file_paths=tuple(_normalize_glob(p) for p in kv.file_path),
            )
        )
    for index, pool in enumerate(parameters.spark_pool):
        at = f"spark_pool[{index}]"
        targets = _per_environment(pool.replace_value, shown, f"{at}.replace_value")
        rules.spark_pool.append(
            SparkPool(
                instance_pool_id=pool.instance_pool_id,
                replace={env: SparkPoolTarget(t.type, t.name) for env, t in targets.items()},
                origin=f"{shown}: {at}",
                item_names=tuple(pool.item_name),
            )
        )
    rules.bindings.extend(_bindings(parameters, shown))


def _bindings(parameters: ParameterFileModel, shown: str) -> list[ModelConnection]:
    found: list[ModelConnection] = []
    section = parameters.semantic_model_binding
    if isinstance(section, list):
        legacy = validate_model(_LegacyBindings, {"semantic_model_binding": section}, shown)
        for index, entry in enumerate(legacy.semantic_model_binding):
            origin = f"{shown}: semantic_model_binding[{index}]"
            found.append(
                ModelConnection(tuple(entry.semantic_model_name), {ALL_ENVIRONMENTS: entry.connection_id}, origin)
            )
    elif section is not None:
        new = validate_model(_Bindings, {"semantic_model_binding": section}, shown).semantic_model_binding
        if new.default is None and not new.models:
            raise InvalidConfiguration("needs 'default' or 'models'", subject=shown, field="semantic_model_binding")
        for index, model in enumerate(new.models):
            at = f"semantic_model_binding.models[{index}]"
            connections = _per_environment(model.connection_id, shown, f"{at}.connection_id")
            found.append(ModelConnection(tuple(model.semantic_model_name), connections, f"{shown}: {at}"))
        if new.default is not None:
            at = "semantic_model_binding.default"
            connections = _per_environment(new.default.connection_id, shown, f"{at}.connection_id")
            found.append(ModelConnection((), connections, f"{shown}: {at}"))
    for index, gateway in enumerate(parameters.gateway_binding):
        origin = f"{shown}: gateway_binding[{index}]"
        found.append(ModelConnection(tuple(gateway.dataset_name), {ALL_ENVIRONMENTS: gateway.gateway_id}, origin))
    return found
