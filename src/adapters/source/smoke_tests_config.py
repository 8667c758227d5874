"""`environments.<env>.smoke_tests` of workspace-config.yaml, validated at the edge (docs/smoke-tests.md)::

    smoke_tests:
      - run: "Load Sales.Notebook"      # run its job (Notebook RunNotebook, DataPipeline Pipeline)
        timeout: 600                    # seconds, default 600
      - run: "Nightly.DataPipeline"
      - sql_endpoint: "Sales.Lakehouse" # its SQL endpoint is provisioned
      - refresh: "Sales Model.SemanticModel"  # refresh it (Power BI REST), wait for the refresh to end

Each entry sets exactly one of `run`, `sql_endpoint` and `refresh`; the item's type must be one that check applies to.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from fabctl.domain.errors import DomainError, InvalidConfiguration
from fabctl.domain.items import ItemKey
from fabctl.domain.smoke_tests import (
    DEFAULT_TIMEOUT_S,
    JOB_TYPES,
    REFRESH_TYPES,
    SQL_ENDPOINT_TYPES,
    SmokeCheck,
    SmokeTest,
)


def _item_key(value: str, allowed: frozenset[str] | set[str], check: str) -> str:
    try:
        key = ItemKey.parse(value)
    except DomainError as e:
        raise ValueError(f"'{value}' is not of the form <Name>.<Type>, e.g. 'Load Sales.Notebook'") from e
    if key.type not in allowed:
        raise ValueError(f"'{value}': {check} applies to items of type {', '.join(sorted(allowed))}, not {key.type}")
    return value


def _runnable(value: str) -> str:
    return _item_key(value, set(JOB_TYPES), "run")


def _with_sql_endpoint(value: str) -> str:
    return _item_key(value, SQL_ENDPOINT_TYPES, "sql_endpoint")


def _refreshable(value: str) -> str:
    return _item_key(value, REFRESH_TYPES, "refresh")


class SmokeTestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Annotated[str, AfterValidator(_runnable)] | None = None
    sql_endpoint: Annotated[str, AfterValidator(_with_sql_endpoint)] | None = None
    refresh: Annotated[str, AfterValidator(_refreshable)] | None = None
    timeout: int = Field(default=DEFAULT_TIMEOUT_S, ge=1, le=86_400)  # seconds


def smoke_tests(models: list[SmokeTestModel], *, subject: str, field: str) -> tuple[SmokeTest, ...]:
    """The validated entries as domain smoke tests; `field` is the list's path, e.g. environments.prod.smoke_tests."""
    tests = []
    for n, model in enumerate(models):
        named = [(check, value) for check, value in _checks(model) if value is not None]
        if len(named) != 1:
            raise InvalidConfiguration(
                "set exactly one of 'run' (a Notebook or DataPipeline), 'sql_endpoint' (a Lakehouse) "
                "and 'refresh' (a SemanticModel)",
                subject=subject,
                field=f"{field}[{n}]",
            )
        [(check, value)] = named
        tests.append(SmokeTest(check, ItemKey.parse(value), model.timeout))
    return tuple(tests)


def _checks(model: SmokeTestModel) -> tuple[tuple[SmokeCheck, str | None], ...]:
    return (
        (SmokeCheck.RUN, model.run),
        (SmokeCheck.SQL_ENDPOINT, model.sql_endpoint),
        (SmokeCheck.REFRESH, model.refresh),
    )
