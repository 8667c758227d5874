"""What a parsed YAML or JSON document must be before it is validated: text, and of a sane size.

Two things parse well and still break fabctl later, far from the file:
- a lone surrogate (`"\\udc80"` is a valid escape in YAML and JSON, but not a character): it cannot
  be written to SQLite, sent to Fabric or printed as UTF-8;
- YAML aliases that expand to billions of values (`a1: [*a0, *a0, ...]`, nine levels deep): parsing
  is instant because aliases share one object, but any walk over the document never ends.
`check_document` walks the document once, as the alias expansion would, and stops at the first of
either, naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_VALUES = 1_000_000  # values (scalars, lists, mappings) counted with every alias expanded
MAX_SHOWN = 60


class DocumentProblem(ValueError):
    """`field` (a path such as `find_replace[0].find_value`) holds what `message` says."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` for a message: lone surrogates as escapes, and cut to `limit` characters."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= limit else f"{safe[:limit]}... ({len(text)} characters)"


def _surrogate(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return text[e.start].encode("utf-8", "backslashreplace").decode("ascii")
    return None


def _child(path: str, key: object) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_document(document: object) -> None:
    """Raise `DocumentProblem` at the first lone surrogate, or when aliases expand past `MAX_VALUES`."""
    pending: list[tuple[str, Any]] = [("", document)]
    count = 0
    while pending:
        path, value = pending.pop()
        count += 1
        if count > MAX_VALUES:
            raise DocumentProblem(
                f"expands to more than {MAX_VALUES:,} values (YAML aliases that repeat each other?)", path
            )
        if isinstance(value, str):
            bad = _surrogate(value)
            if bad:
                raise DocumentProblem(f"holds {bad}, a lone surrogate, which is not a character", path)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if isinstance(key, str) and (bad := _surrogate(key)):
                    raise DocumentProblem(
                        f"has the key '{shown(key)}', which holds {bad}, a lone surrogate, not a character", path
                    )
                pending.append((_child(path, shown(str(key))), item))
        elif isinstance(value, list):
            pending.extend((_child(path, index), item) for index, item in reversed(list(enumerate(value))))


def string_values(value: object, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a parsed document, depth first, with its field path (`a.b[2].c`)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from string_values(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_values(v, f"{where}[{i}]")
    elif isinstance(value, str):
        yield where, value
