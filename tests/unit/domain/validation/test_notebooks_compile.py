"""Notebooks compile: only Python cells, magics skipped, the error at the line of the file."""

from __future__ import annotations

from pathlib import Path

from fabctl.domain.validation.findings import NOTEBOOKS_COMPILE
from fabctl.domain.validation.notebooks import notebook_findings

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "sales-workspace" / "Notebooks"
MARKER = "# CELL ********************"


def metadata(language: str) -> str:
    return (
        "# METADATA ********************\n\n"
        f'# META {{\n# META   "language": "{language}",\n# META   "language_group": "synapse_pyspark"\n# META }}\n'
    )


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook-content.py with `cells` as (language, code), in Fabric's git format."""
    text = "# Fabric notebook source\n\n"
    for language, code in cells:
        text += f"{MARKER}\n\n{code}\n\n{metadata(language)}\n"
    return text


def line_holding(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_the_examples_notebooks_compile() -> None:
    paths = sorted(EXAMPLE.glob("*.Notebook/notebook-content.py"))
    assert len(paths) == 2
    for path in paths:
        assert notebook_findings(str(path), path.read_text("utf-8")) == []


def test_a_syntax_error_is_found_at_its_line_in_the_file() -> None:
    text = notebook(("python", "x = 1"), ("python", "y = 2\nif y:\n    z = (\n"), ("python", "w = 3"))
    [finding] = notebook_findings("Load.Notebook/notebook-content.py", text)
    assert finding.part == "Load.Notebook/notebook-content.py"
    assert finding.check == NOTEBOOKS_COMPILE
    assert finding.line == line_holding(text, "z = (")
    assert "does not compile" in finding.message


def test_an_error_in_the_examples_notebook_names_its_line() -> None:
    text = (EXAMPLE / "Load Sales.Notebook" / "notebook-content.py").read_text("utf-8")
    broken = text.replace("bronze = raw", "bronze = = raw")
    [finding] = notebook_findings("n.py", broken)
    assert finding.line == line_holding(broken, "bronze = = raw") == 60


def test_each_broken_cell_is_a_finding() -> None:
    text = notebook(("python", "def f(:"), ("python", "ok = 1"), ("python", "class"))
    found = notebook_findings("n.py", text)
    assert [f.line for f in found] == [line_holding(text, "def f(:"), line_holding(text, "class")]


def test_magics_and_shell_escapes_are_not_compiled() -> None:
    code = "%pip install semantic-link\n!ls /lakehouse\nif True:\n    %time x = 1\n    y = 2"
    assert notebook_findings("n.py", notebook(("python", code))) == []


def test_cells_of_other_languages_are_skipped() -> None:
    sql = "# MAGIC %%sql\n# MAGIC SELECT * FROM sales WHERE"
    scala = "val x: Int = {"
    configure = '%%configure\n{"conf": {'
    text = notebook(("sparksql", sql), ("scala", scala), ("python", configure), ("python", "ok = 1"))
    assert notebook_findings("n.py", text) == []


def test_a_python_cell_magic_keeps_its_cell_python() -> None:
    text = notebook(("python", "%%pyspark\ndef f(:"))
    [finding] = notebook_findings("n.py", text)
    assert finding.line == line_holding(text, "def f(:")


def test_markdown_and_parameters_cells() -> None:
    text = (
        "# Fabric notebook source\n\n# MARKDOWN ********************\n\n# # Title (\n\n"
        "# PARAMETERS CELL ********************\n\nrun_date = \n\n" + metadata("python")
    )
    [finding] = notebook_findings("n.py", text)
    assert finding.line == line_holding(text, "run_date =")


def test_top_level_await_compiles_as_in_a_notebook() -> None:
    assert notebook_findings("n.py", notebook(("python", "import asyncio\nawait asyncio.sleep(0)"))) == []


def test_a_nul_character_is_a_finding_not_a_crash() -> None:
    text = notebook(("python", "x = '\0'"))
    [finding] = notebook_findings("n.py", text)
    assert finding.message.startswith("does not compile") and finding.line == line_holding(text, "x = ")
