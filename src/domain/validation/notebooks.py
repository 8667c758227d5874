"""Notebooks compile: the Python cells of a `notebook-content.py` in Fabric's git format.

Fabric writes a notebook as one Python file: `# CELL ********************` (or `# PARAMETERS CELL`,
`# MARKDOWN`) opens a cell, and the `# METADATA ********************` block after it holds `# META`
lines of JSON naming the cell's language. Only Python cells are compiled: a cell whose metadata
names another language (sparksql, scala, r...) or that is written as `# MAGIC %%sql` lines or opens
with a cell magic (`%%sql`) is skipped. Line magics and shell escapes (`%pip`, `!ls`) are not
Python: they compile as `pass`, so the lines after them keep their numbers and their block.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from fabctl.domain.validation.findings import NOTEBOOKS_COMPILE, Finding

NOTEBOOK_PART = "notebook-content.py"
_MARKER = re.compile(r"^# (CELL|PARAMETERS CELL|MARKDOWN|METADATA) \*+\s*$")
_PYTHON = {"python", "pyspark"}
_PYTHON_CELL_MAGICS = {"%%pyspark", "%%python"}
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # notebooks may `await` at the top level


@dataclass
class _Cell:
    kind: str  # CELL, PARAMETERS CELL or MARKDOWN
    first_line: int  # 1-based line of the cell's first line of content
    lines: list[str]
    language: str = ""  # from the METADATA block after it; "" when none says


def _cells(text: str) -> list[_Cell]:
    cells: list[_Cell] = []
    current: _Cell | None = None
    metadata: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        marker = _MARKER.match(line)
        if marker and marker.group(1) == "METADATA":
            metadata = []
            continue
        if marker:
            _close(current, metadata)
            current, metadata = _Cell(marker.group(1), number + 1, []), None
            cells.append(current)
            continue
        if metadata is not None:
            metadata.append(line.removeprefix("# META").removeprefix(" ") if line.startswith("# META") else "")
        elif current is not None:
            current.lines.append(line)
    _close(current, metadata)
    return cells


def _close(cell: _Cell | None, metadata: list[str] | None) -> None:
    """Give `cell` the language its METADATA block names (a block that is not JSON names none)."""
    if cell is None or not metadata:
        return
    try:
        meta = json.loads("\n".join(metadata))
    except ValueError:
        return
    language = meta.get("language") if isinstance(meta, dict) else None
    if isinstance(language, str) and not cell.language:
        cell.language = language.lower()


def _python_source(cell: _Cell) -> str | None:
    """The cell as Python to compile, line for line; None when it is not a Python cell."""
    if cell.kind == "MARKDOWN" or (cell.language and cell.language not in _PYTHON):
        return None
    if any(line.startswith("# MAGIC %%") for line in cell.lines):
        return None  # a cell of another language written as comments
    content = [line.strip() for line in cell.lines if line.strip()]
    if content and content[0].startswith("%%") and content[0].split()[0] not in _PYTHON_CELL_MAGICS:
        return None  # %%sql, %%configure, %%html...: not Python
    out = []
    for line in cell.lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass")  # keeps the block it is in
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def notebook_findings(part_path: str, text: str) -> list[Finding]:
    """A finding for each Python cell of the notebook that does not compile, at the file's line."""
    found = []
    for cell in _cells(text):
        source = _python_source(cell)
        if source is None:
            continue
        if "\0" in source:  # compile() would not say where
            line = cell.first_line + next(n for n, text in enumerate(cell.lines) if "\0" in text)
            found.append(Finding(part_path, line, NOTEBOOKS_COMPILE, "does not compile: it holds a NUL character"))
            continue
        padded = "\n" * (cell.first_line - 1) + source  # so that the error's line is the file's
        try:
            compile(padded, part_path, "exec", flags=_FLAGS, dont_inherit=True)
        except SyntaxError as e:  # IndentationError and TabError are SyntaxErrors
            line = e.lineno or cell.first_line
            found.append(Finding(part_path, line, NOTEBOOKS_COMPILE, f"does not compile: {e.msg}"))
        except (ValueError, RecursionError, MemoryError):  # nesting too deep for the compiler
            found.append(Finding(part_path, cell.first_line, NOTEBOOKS_COMPILE, "does not compile: nested too deeply"))
    return found
