"""Per-environment parameterization, compatible with fabric-cicd's parameter.yml `find_replace`."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fabctl.domain.errors import InvalidConfiguration

ALL_ENVIRONMENTS = "_ALL_"

# Resolves a dynamic value such as "$workspace.$id" or "$items.Notebook.Load.$id".
Resolver = Callable[[str], str]


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
            and (not self.file_paths or any(fnmatch.fnmatch(part_path, g) for g in self.file_paths))
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


@dataclass(frozen=True)
class ParameterRules:
    find_replace: tuple[FindReplace, ...] = ()
    source: str = "parameter.yml"


def resolve_value(value: str, resolve: Resolver) -> str:
    """Dynamic values start with '$'; `$ENV:`, `$workspace.` and `$items.` are resolved by the caller."""
    return resolve(value) if value.startswith("$") else value
