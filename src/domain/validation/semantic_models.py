"""Semantic model definitions parse: `model.bim` as JSON, `definition/**/*.tmdl` by a light structure.

TMDL is not parsed in full here; what is checked is what breaks it most often when edited by hand
or by a bad merge: a top-level line that is not a known object keyword, an indentation that is not
tabs or that skips a level. Expressions (after a trailing `=`, or between ``` fences) are free text.
"""

from __future__ import annotations

import json
import re

from fabctl.domain.validation.findings import SEMANTIC_MODELS_PARSE, Finding

BIM_PART = "model.bim"
# The object keywords a TMDL file may start a top-level line with (`ref` as in `ref table Sales`).
TOP_LEVEL = frozenset({
    "model", "database", "table", "relationship", "role", "perspective", "culture", "cultureInfo", "expression",
    "dataSource", "annotation", "extendedProperty", "ref", "queryGroup", "function", "calendar", "createOrReplace",
    "linguisticMetadata",
})  # fmt: skip
_FENCE = "```"
_WORD = re.compile(r"[A-Za-z]+")


def is_tmdl(path: str) -> bool:
    return path.endswith(".tmdl") and (path.startswith("definition/") or "/definition/" in path)


def bim_findings(part_path: str, text: str) -> list[Finding]:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return [Finding(part_path, e.lineno, SEMANTIC_MODELS_PARSE, f"is not JSON: {e.msg}")]
    except RecursionError:
        return [Finding(part_path, 0, SEMANTIC_MODELS_PARSE, "is not JSON: nested too deeply")]
    return []


def tmdl_findings(part_path: str, text: str) -> list[Finding]:
    """Findings for lines that break TMDL's structure (see the module's docstring)."""
    found: list[Finding] = []
    depth = 0  # of the last line of structure
    expression_under: int | None = None  # the depth of the line whose expression continues below
    fenced = False
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if fenced:
            fenced = stripped != _FENCE
            continue
        if not stripped or stripped.startswith("//"):
            continue  # blank lines, and `///` descriptions, may sit anywhere
        indent = len(line) - len(line.lstrip("\t"))
        if expression_under is not None and indent > expression_under:
            continue  # a line of a multi-line expression: M or DAX, not TMDL
        expression_under = None
        if line[indent : indent + 1] == " ":
            message = "is indented with spaces; TMDL indents with tabs"
            found.append(Finding(part_path, number, SEMANTIC_MODELS_PARSE, message))
            continue
        if indent > depth + 1:
            message = f"is indented {indent} levels, more than one level under the line above ({depth})"
            found.append(Finding(part_path, number, SEMANTIC_MODELS_PARSE, message))
            continue
        word = _WORD.match(stripped)
        if indent == 0 and (word is None or word.group(0) not in TOP_LEVEL):
            start = stripped.split()[0][:40]
            message = f"starts with '{start}', not a TMDL object (expected one of: {', '.join(sorted(TOP_LEVEL))})"
            found.append(Finding(part_path, number, SEMANTIC_MODELS_PARSE, message))
        depth = indent
        if stripped.endswith(_FENCE):
            fenced = True
        elif stripped.endswith("="):
            expression_under = indent
    return found
