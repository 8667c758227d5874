"""`key_value_replace.find_key` with jsonpath-ng's `ext` parser: the JSONPath fabric-cicd uses, so a
rule selects here exactly what it selects there (filters with comparisons and `=~`, slices, `..`).

A replacement sets every match through its full path, as fabric-cicd does. Errors name the rule:
a path that does not parse when the file is read; a path jsonpath-ng cannot evaluate on a part
(it compares a number literal with `int()` of the value, say) when the part is bound.
"""

from __future__ import annotations

from typing import Any

from jsonpath_ng import JSONPath, Root
from jsonpath_ng.ext import parse

from fabctl.domain.errors import InvalidConfiguration


class JsonPathNg:
    """A `JsonPathQuery` (see `fabctl.domain.parameters`) backed by jsonpath-ng."""

    def __init__(self, expression: str, *, origin: str, field: str = "find_key") -> None:
        self._expression = expression
        self._origin = origin
        self._field = field
        try:
            self._path: JSONPath = parse(expression)
        except Exception as e:  # jsonpath-ng and its ply lexer raise assorted types for bad input
            raise self._error(f"invalid JSONPath '{expression}': {e}") from None
        if isinstance(self._path, Root):
            raise self._error(f"invalid JSONPath '{expression}': it selects the whole document; name a key")

    @property
    def expression(self) -> str:
        return self._expression

    def find(self, document: object) -> list[object]:
        return [match.value for match in self._matches(document)]

    def replace(self, document: object, value: object) -> int:
        matches = self._matches(document)
        for match in matches:
            match.full_path.update(document, value)
        return len(matches)

    def _matches(self, document: object) -> list[Any]:
        try:
            return list(self._path.find(document))
        except Exception as e:  # evaluation errors of jsonpath-ng (TypeError, ValueError, ...)
            raise self._error(f"JSONPath '{self._expression}' cannot be evaluated: {type(e).__name__}: {e}") from None

    def _error(self, message: str) -> InvalidConfiguration:
        return InvalidConfiguration(message, subject=self._origin, field=self._field)
