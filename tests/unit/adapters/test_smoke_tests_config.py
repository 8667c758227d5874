"""`environments.<env>.smoke_tests` of workspace-config.yaml: read into the domain's smoke tests, or one
error naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_release_config
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey
from fabctl.domain.smoke_tests import SmokeCheck, SmokeTest


def config(tmp_path: Path, smoke: str) -> str:
    path = tmp_path / "workspace-config.yaml"
    text = f'environments:\n  prod:\n    workspace: "Sales (prod)"\n    smoke_tests: {smoke}\n'
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_each_kind_is_read_with_its_timeout(tmp_path: Path) -> None:
    smoke = (
        '[{run: "Load sales.Notebook", timeout: 60}, {run: "Nightly.DataPipeline"}, {sql_endpoint: "S.Lakehouse"},'
        ' {refresh: "Sales Model.SemanticModel", timeout: 120}]'
    )
    [prod] = read_release_config(config(tmp_path, smoke)).environments

    assert prod.smoke_tests == (
        SmokeTest(SmokeCheck.RUN, ItemKey("Notebook", "Load sales"), 60),
        SmokeTest(SmokeCheck.RUN, ItemKey("DataPipeline", "Nightly"), 600),
        SmokeTest(SmokeCheck.SQL_ENDPOINT, ItemKey("Lakehouse", "S"), 600),
        SmokeTest(SmokeCheck.REFRESH, ItemKey("SemanticModel", "Sales Model"), 120),
    )
    assert [t.job_type for t in prod.smoke_tests[:2]] == ["RunNotebook", "Pipeline"]


def test_none_declared_is_none(tmp_path: Path) -> None:
    assert read_release_config(config(tmp_path, "[]")).environments[0].smoke_tests == ()


@pytest.mark.parametrize(
    ("smoke", "field", "says"),
    [
        ('[{run: "L.Notebook", timout: 5}]', "environments.prod.smoke_tests[0].timout", "unknown key 'timout'"),
        ('[{run: "L.Lakehouse"}]', "environments.prod.smoke_tests[0].run", "applies to items of type DataPipeline"),
        ('[{sql_endpoint: "L.Notebook"}]', "environments.prod.smoke_tests[0].sql_endpoint", "type Lakehouse"),
        ('[{refresh: "M.Lakehouse"}]', "environments.prod.smoke_tests[0].refresh", "type SemanticModel, not"),
        ('[{run: "L.Notebook", refresh: "M.SemanticModel"}]', "environments.prod.smoke_tests[0]", "'refresh'"),
        ('[{run: "Load"}]', "environments.prod.smoke_tests[0].run", "<Name>.<Type>"),
        ('[{run: "L.Notebook", timeout: 0}]', "environments.prod.smoke_tests[0].timeout", "greater than or equal to 1"),
        ("[{timeout: 5}]", "environments.prod.smoke_tests[0]", "exactly one of 'run'"),
        ('[{run: "L.Notebook", sql_endpoint: "S.Lakehouse"}]', "environments.prod.smoke_tests[0]", "exactly one"),
        ('{run: "L.Notebook"}', "environments.prod.smoke_tests", "must be a list"),
    ],
)
def test_a_mistake_names_the_file_and_its_field(tmp_path: Path, smoke: str, field: str, says: str) -> None:
    path = config(tmp_path, smoke)
    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)
    assert raised.value.subject == path
    assert raised.value.field == field
    assert says in raised.value.message
