"""What a validation check found, and how seriously each environment takes each check.

A check returns `Finding`s naming the item's file and line; the environment's `ValidationSettings`
decide whether a finding refuses the deployment (error), is shown and recorded (warning) or the
check does not run at all (off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

NOTEBOOKS_COMPILE = "notebooks_compile"
SEMANTIC_MODELS_PARSE = "semantic_models_parse"
FORBIDDEN_VALUES = "forbidden_values"
SECRETS = "secrets"
CHECKS = (NOTEBOOKS_COMPILE, SEMANTIC_MODELS_PARSE, FORBIDDEN_VALUES, SECRETS)


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, at `line` (1-based; 0 when it is about the whole file) of `part` of an item."""

    part: str  # the source-relative path of the file, as the definition names it
    line: int
    check: str
    message: str  # never holds a secret's value

    def located(self, item: str) -> str:
        where = f"{self.part}, line {self.line}" if self.line else self.part
        return f"{item}: {where}: {self.message} ({self.check})"


@dataclass(frozen=True)
class ForbiddenPattern:
    """A regex whose match means a value of another environment remains (`why` says which)."""

    pattern: str
    why: str = ""


@dataclass(frozen=True)
class ValidationSettings:
    """Per check its level (every check is an error unless configured otherwise)."""

    levels: Mapping[str, Level] = field(default_factory=dict)
    forbidden: tuple[ForbiddenPattern, ...] = ()

    def level(self, check: str) -> Level:
        return self.levels.get(check, Level.ERROR)
