"""The dependency rule, checked on the source: the domain imports only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((SRC / "domain").rglob("*.py")), ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library_and_itself(path: Path) -> None:
    outside = {
        name
        for name in imported_modules(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith("fabctl.domain")
        and name != "__future__"
    }
    assert outside == set()


@pytest.mark.parametrize("path", sorted((SRC / "application").rglob("*.py")), ids=lambda p: p.name)
def test_application_imports_no_adapter_or_entrypoint(path: Path) -> None:
    crossing = {name for name in imported_modules(path) if name.startswith(("fabctl.adapters", "fabctl.entrypoints"))}
    assert crossing == set()
