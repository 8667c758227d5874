"""Per-environment parameterization, compatible with fabric-cicd's parameter.yml.

`find_replace`, `key_value_replace` and `spark_pool` rewrite definition parts while binding (a
`spark_pool` target's id is looked up in the target workspace through `PoolResolver`);
`semantic_model_binding` is applied after a model is deployed, by the deployment engine
(`application/deployment/connections.py`).
The item_type / item_name filters compare exactly (a string or any of a list); `file_path` follows
fabric-cicd: a path relative to the repository (leading '/' ignored), or a glob resolved like
`pathlib.Path.glob` from the repository root (`*` stays within one folder, `**` spans folders).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.redaction import SECRET_MARKER, SecretValues, SensitiveValues

ALL_ENVIRONMENTS = "_ALL_"

# Resolves a dynamic value such as "$workspace.$id" or "$items.Notebook.Load.$id".
Resolver = Callable[[str], str]
# The id of a spark_pool rule's target pool in the target workspace; raises a DomainError when absent.
PoolResolver = Callable[["SparkPool", "SparkPoolTarget"], str]


@dataclass(frozen=True)
class FindReplace:
    find: str
    replace: Mapping[str, str]  # environment name (or _ALL_) -> replacement
    origin: str  # e.g. "parameter.yml: find_replace[2]", for error messages
    is_regex: bool = False
    ignore_case: bool = False
    item_types: tuple[str, ...] = ()
    item_names: tuple[str, ...] = ()
    file_paths: tuple[str, ...] = ()  # globs on the source-relative path of a part

    def replacement_for(self, environment: str) -> str | None:
        value = self.replace.get(environment, self.replace.get(ALL_ENVIRONMENTS))
        return value

    def applies_to(self, item_type: str, item_name: str, part_path: str) -> bool:
        return (
            (not self.item_types or item_type in self.item_types)
            and (not self.item_names or item_name in self.item_names)
            and (not self.file_paths or any(path_matches(g, part_path) for g in self.file_paths))
        )

    def pattern(self) -> re.Pattern[str]:
        flags = re.IGNORECASE if self.ignore_case else 0
        try:
            return re.compile(self.find if self.is_regex else re.escape(self.find), flags)
        except re.error as e:
            raise InvalidConfiguration(f"invalid regex: {e}", subject=self.origin, field="find_value") from e

    def apply(self, text: str, replacement: str) -> tuple[str, int]:
        pattern = self.pattern()
        if self.is_regex and pattern.groups >= 1:
            # fabric-cicd semantics: only the first group is replaced, the rest of the match stays.
            def swap(match: re.Match[str]) -> str:
                start, end = match.span(1)
                if start == -1:  # group 1 did not take part in this match: nothing to replace
                    return match.group(0)
                whole = match.group(0)
                offset = match.start(0)
                return whole[: start - offset] + replacement + whole[end - offset :]

            return pattern.subn(swap, text)
        return pattern.subn(lambda _m: replacement, text)


def path_matches(pattern: str, path: str) -> bool:
    """fabric-cicd's `file_path`: exact repository-relative path, or a `Path.glob` pattern from the root."""
    pattern = pattern.replace("\\", "/").lstrip("/")
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    path = path.replace("\\", "/").lstrip("/")
    if not any(c in pattern for c in "*?["):
        return pattern == path
    return _segments_match(pattern.split("/"), path.split("/"))


def _segments_match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_segments_match(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _segments_match(rest, path[1:])


class JsonPathQuery(Protocol):
    """A `key_value_replace.find_key`, compiled. The domain cannot import a JSONPath library, so the
    adapter that read the rule compiles it (with jsonpath-ng's `ext` parser, as fabric-cicd does).

    `find` and `replace` raise `InvalidConfiguration` naming the rule when the path cannot be
    evaluated on a document (jsonpath-ng compares a number with a value that is not one, say)."""

    @property
    def expression(self) -> str: ...

    def find(self, document: object) -> list[object]:
        """The values the path selects in `document`, in jsonpath-ng's order."""
        ...

    def replace(self, document: object, value: object) -> int:
        """Set every selected value to `value`, in place; how many were set."""
        ...


@dataclass(frozen=True)
class KeyValueReplace:
    """fabric-cicd's `key_value_replace`: every match of a JSONPath in JSON/YAML parts gets a new value."""

    find_key: JsonPathQuery
    replace: Mapping[str, object]  # environment name (or _ALL_) -> value (a string may be a dynamic value)
    origin: str
    item_types: tuple[str, ...] = ()
    item_names: tuple[str, ...] = ()
    file_paths: tuple[str, ...] = ()

    def replacement_for(self, environment: str) -> object | None:
        return self.replace.get(environment, self.replace.get(ALL_ENVIRONMENTS))

    def applies_to(self, item_type: str, item_name: str, part_path: str) -> bool:
        return (
            (not self.item_types or item_type in self.item_types)
            and (not self.item_names or item_name in self.item_names)
            and (not self.file_paths or any(path_matches(g, part_path) for g in self.file_paths))
        )


@dataclass(frozen=True)
class SparkPoolTarget:
    type: str  # "Capacity" or "Workspace"
    name: str


@dataclass(frozen=True)
class SparkPool:
    """fabric-cicd's `spark_pool`: an Environment's `Setting/Sparkcompute.yml` whose `instance_pool_id`
    is `instance_pool_id` must use, in the target, the pool named by type and name (its id is looked
    up in the target workspace, as fabric-cicd does with `GET .../spark/pools`)."""

    instance_pool_id: str
    replace: Mapping[str, SparkPoolTarget]
    origin: str
    item_names: tuple[str, ...] = ()

    def target_for(self, environment: str) -> SparkPoolTarget | None:
        return self.replace.get(environment, self.replace.get(ALL_ENVIRONMENTS))


@dataclass(frozen=True)
class ModelConnection:
    """semantic_model_binding: the connection the named models must be bound to, per environment."""

    model_names: tuple[str, ...]  # empty: the `default` entry, for every model not named elsewhere
    connection_ids: Mapping[str, str]  # environment name (or _ALL_) -> connection id
    origin: str

    def connection_for(self, environment: str) -> str | None:
        return self.connection_ids.get(environment, self.connection_ids.get(ALL_ENVIRONMENTS))


@dataclass(frozen=True)
class YamlCodec:
    """How to read and write YAML parts for `key_value_replace`.

    The domain cannot import a YAML library, so the adapter that parsed parameter.yml (and therefore
    has one) attaches its codec to the rules it returns. Rules without a codec still apply to JSON parts;
    a rule that applies to a YAML part then fails, naming the rule."""

    load: Callable[[str], object]
    dump: Callable[[object], str]


@dataclass(frozen=True)
class ParameterRules:
    find_replace: tuple[FindReplace, ...] = ()
    source: str = "parameter.yml"
    key_value_replace: tuple[KeyValueReplace, ...] = ()
    spark_pool: tuple[SparkPool, ...] = ()
    # Applied after a model's deployment by the engine (a Fabric call); not applied by binding.
    semantic_model_binding: tuple[ModelConnection, ...] = ()
    yaml: YamlCodec | None = field(default=None, compare=False)
    # Values the reader took from outside the files ($ENV:NAME): never shown, their names are instead.
    sensitive: SensitiveValues = field(default_factory=SensitiveValues, compare=False)
    # Where `$secret:NAME` values are read when bound (the rules keep the marker, never the value).
    secrets: SecretValues | None = field(default=None, compare=False)

    def secret(self, name: str) -> str:
        """The value of the secret a `$secret:NAME` value names, read now (the store caches it)."""
        if self.secrets is None:
            raise InvalidConfiguration(f"'{SECRET_MARKER}{name}' cannot be read: this run has no secret store")
        return self.secrets.value(name)

    def redactions(self) -> SensitiveValues:
        """Every value errors must not show: the `$ENV:` values and the secrets read so far."""
        if self.secrets is None:
            return self.sensitive
        return self.sensitive.merged(self.secrets.revealed())

    def model_connection(self, model_name: str, environment: str) -> tuple[str, str] | None:
        """(connection id, rule origin) the model must be bound to in `environment`, if any."""
        named = [b for b in self.semantic_model_binding if model_name in b.model_names]
        defaults = [b for b in self.semantic_model_binding if not b.model_names]
        for binding in (*named, *defaults):
            connection = binding.connection_for(environment)
            if connection is not None:
                return connection, binding.origin
        return None

    def spark_pool_for(self, item_name: str, instance_pool_id: str, environment: str) -> SparkPool | None:
        """The first spark_pool rule for this Environment's pool id, as fabric-cicd picks it."""
        for rule in self.spark_pool:
            if rule.instance_pool_id == instance_pool_id and (not rule.item_names or item_name in rule.item_names):
                return rule if rule.target_for(environment) is not None else None
        return None


def resolve_value(value: str, resolve: Resolver) -> str:
    """Dynamic values start with '$'; `$ENV:`, `$workspace.` and `$items.` are resolved by the caller."""
    return resolve(value) if value.startswith("$") else value
