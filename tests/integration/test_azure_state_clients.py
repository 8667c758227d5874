"""The Azure state store's clients, opened and checked against Azurite with the real SDKs: what a
usable account gets (its table and container, nothing else), what a SAS must allow, and that the
checks write nothing in an account fabctl may only read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableClient
from azurite_contents import DOCUMENTED_SAS, account_sas, contents, sas_connection_string
from azurite_process import RunningAzurite, fresh_name, running_azurite

from fabctl.adapters.state.azure_clients import _update_nothing, open_with_connection_string
from fabctl.adapters.state.azure_refusals import Reach, Step, StorageUnusable, refusal


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAzurite]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as running:
        yield running


def names() -> tuple[str, str]:
    return fresh_name("state"), fresh_name("blobs")


def test_an_empty_account_gets_its_table_and_container_and_nothing_in_them(azurite: RunningAzurite) -> None:
    table, container = names()

    tables, blobs = open_with_connection_string(
        azurite.connection_string, table=table, container=container, create=True
    )
    again = open_with_connection_string(azurite.connection_string, table=table, container=container, create=False)

    found = contents(azurite)
    assert found["tables"][table] == [] and found["containers"][container] == []
    assert (tables.table_name, blobs.container_name) == (table, container)
    assert (again[0].table_name, again[1].container_name) == (table, container)


def test_a_sas_with_the_permissions_the_docs_name_passes_the_checks(azurite: RunningAzurite) -> None:
    table, container = names()
    token = account_sas(
        DOCUMENTED_SAS["permission"],
        services=DOCUMENTED_SAS["services"],
        resource_types=DOCUMENTED_SAS["resource_types"],
    )

    open_with_connection_string(sas_connection_string(azurite, token), table=table, container=container, create=True)

    found = contents(azurite)
    assert found["tables"][table] == [] and found["containers"][container] == []


@pytest.mark.parametrize("create", [True, False])
def test_a_read_only_sas_is_refused_naming_the_write_it_lacks_and_nothing_is_written(
    azurite: RunningAzurite, create: bool
) -> None:
    table, container = names()
    open_with_connection_string(azurite.connection_string, table=table, container=container, create=True)
    before = contents(azurite)

    with pytest.raises(StorageUnusable) as refused:
        open_with_connection_string(
            sas_connection_string(azurite, account_sas("rl")), table=table, container=container, create=create
        )

    assert refused.value.part == "access"
    assert f"may not write to table '{table}'" in refused.value.problem
    assert "(a, u, w, d)" in refused.value.problem
    assert contents(azurite) == before


def test_a_read_only_sas_is_refused_before_a_missing_table_or_container_is_created(azurite: RunningAzurite) -> None:
    table, container = names()
    before = contents(azurite)

    with pytest.raises(StorageUnusable) as refused:
        open_with_connection_string(
            sas_connection_string(azurite, account_sas("rl")), table=table, container=container, create=True
        )

    assert "403 AuthorizationPermissionMismatch" in refused.value.problem
    assert contents(azurite) == before


def test_a_sas_that_may_write_entities_but_not_blobs_is_refused_naming_the_container(azurite: RunningAzurite) -> None:
    table, container = names()
    open_with_connection_string(azurite.connection_string, table=table, container=container, create=True)
    tables_only = account_sas("rwdlacu", services="t")

    with pytest.raises(StorageUnusable) as refused:
        open_with_connection_string(
            sas_connection_string(azurite, tables_only), table=table, container=container, create=True
        )

    assert f"container '{container}'" in refused.value.problem


def test_azurites_refusal_of_a_read_only_sas_reads_as_a_missing_role_for_an_identity(azurite: RunningAzurite) -> None:
    """The same 403 Azure gives an identity without the role, phrased for that identity."""
    table, container = names()
    tables, _ = open_with_connection_string(azurite.connection_string, table=table, container=container, create=True)
    read_only = TableClient.from_connection_string(sas_connection_string(azurite, account_sas("rl")), table_name=table)
    with pytest.raises(HttpResponseError) as answered:
        _update_nothing(read_only)

    problem = refusal(
        answered.value, Step("write to", "table", table, tables.url), Reach("contoso", "identity")
    ).problem

    assert "fabctl's identity may not write to table" in problem
    assert "needs the Storage Table Data Contributor role on account 'contoso'" in problem
