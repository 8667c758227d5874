"""Semantic model definitions parse: model.bim as JSON, TMDL by its structure."""

from __future__ import annotations

from pathlib import Path

from fabctl.domain.validation.semantic_models import bim_findings, is_tmdl, tmdl_findings

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "sales-workspace" / "Sales Model.SemanticModel"


def test_the_examples_tmdl_files_pass() -> None:
    paths = sorted(EXAMPLE.glob("definition/**/*.tmdl"))
    assert len(paths) == 3
    for path in paths:
        assert tmdl_findings(str(path), path.read_text("utf-8")) == []


def test_a_bim_that_is_not_json_names_the_line() -> None:
    [finding] = bim_findings("M.SemanticModel/model.bim", '{\n  "model": {\n    "tables": [,]\n  }\n}')
    assert (finding.part, finding.line) == ("M.SemanticModel/model.bim", 3)
    assert finding.message.startswith("is not JSON")
    assert bim_findings("m.bim", '{"model": {"tables": []}}') == []


def test_an_unknown_top_level_keyword() -> None:
    [finding] = tmdl_findings("t.tmdl", "table Sales\n\tcolumn a\n\ntabel Other\n")
    assert finding.line == 4 and "'tabel'" in finding.message


def test_indentation_that_skips_a_level_or_uses_spaces() -> None:
    found = tmdl_findings("t.tmdl", "table Sales\n\t\t\tcolumn a\n    column b\n\tcolumn c\n")
    assert [(f.line, "spaces" in f.message) for f in found] == [(2, False), (3, True)]


def test_expressions_are_free_text() -> None:
    text = (
        "table Sales\n\tpartition Sales = m\n\t\tsource =\n\t\t\t\tlet\n\t\t\t\t    x = 1\n\t\t\t\tin x\n"
        "\tmeasure M = ```\n  anything (\n\t\t\t\t\tgoes\n```\n\t\tformatString: 0\n"
        '/// a description\nexpression Param = "x"\n'
    )
    assert tmdl_findings("t.tmdl", text) == []


def test_only_definition_tmdl_files_are_tmdl() -> None:
    assert is_tmdl("definition/tables/Sales.tmdl") and is_tmdl("definition/model.tmdl")
    assert not is_tmdl("definition.pbism") and not is_tmdl("notes/x.tmdl")
