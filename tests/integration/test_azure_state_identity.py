"""The Azure state store named by its account URL and signed in with azure-identity, built by the
composition root from the settings, against real servers: Azurite over HTTPS taking bearer tokens,
and an Entra-like authority answering the client-credentials flow (`signed_in_storage`).

What runs is the product's own path: `FABCTL_STATE_STORE=azure`, `FABCTL_STORAGE_ACCOUNT_URL`, and
`DefaultAzureCredential()` finding the service principal in `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
`AZURE_CLIENT_SECRET`. Azurite grants any valid token everything, so this shows sign-in and transport,
not Azure's role checks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.data.tables import TableClient
from azurite_contents import contents
from azurite_process import fresh_name
from signed_in_storage import ACCOUNT_URL, PRINCIPAL, SUFFIX, SignedInStorage, signed_in  # noqa: F401 (a fixture)

from fabctl.adapters.state.azure_refusals import STORAGE_SCOPE
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.transaction import Transaction
from fabctl.entrypoints.bootstrap import App, bootstrap
from fabctl.entrypoints.settings import load_settings

STARTED = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signed_in: SignedInStorage) -> tuple[str, str]:  # noqa: F811
    """This test's table and container, and the signed-in settings in this process's environment."""
    table, container = fresh_name("idstate"), fresh_name("idblobs")
    monkeypatch.chdir(tmp_path)  # no fabctl.toml of the repository's
    for name, value in {
        **signed_in.environment(),
        "FABCTL_STATE_TABLE": table,
        "FABCTL_STATE_CONTAINER": container,
    }.items():
        monkeypatch.setenv(name, value)
    return table, container


def opened() -> App:
    return bootstrap(load_settings())


def test_the_account_url_store_signs_in_with_the_environment_credential_and_keeps_a_transaction(
    signed_in: SignedInStorage,  # noqa: F811
    names: tuple[str, str],
) -> None:
    table, _ = names
    token_requests, bearer_before = len(signed_in.authority.requests()), signed_in.bearer_requests()

    writer = opened()
    with writer.uow:
        writer.uow.transactions.add(Transaction.start("tx-identity", "ws-1", "dev", STARTED, "src", actor="ci"))
        writer.uow.commit()
    reader = opened()  # a second composition root: a new credential, as a second process would have
    with reader.uow:
        found = reader.uow.transactions.get("tx-identity")

    assert found is not None
    assert (found.workspace_id, found.environment, found.started_at, found.actor) == ("ws-1", "dev", STARTED, "ci")
    asked = signed_in.authority.requests()[token_requests:]
    assert [(r.tenant, r.client_id, r.grant_type, r.scope, r.outcome) for r in asked] == [
        (PRINCIPAL.tenant, PRINCIPAL.client_id, "client_credentials", STORAGE_SCOPE, "issued")
    ] * 2  # one sign-in per composition root; both services share the token
    assert signed_in.bearer_requests() > bearer_before
    reached = signed_in.proxy.tunnels()
    assert reached[f"devstoreaccount1.table.{SUFFIX}"] > 0 and reached[f"devstoreaccount1.blob.{SUFFIX}"] > 0
    assert not signed_in.proxy.refused()  # no probe of another host (IMDS, instance discovery elsewhere)
    # The account's own view, with the development key rather than the token: the row is there.
    with TableClient.from_connection_string(signed_in.azurite.connection_string, table_name=table) as tables:
        rows = [e["RowKey"] for e in tables.list_entities()]
    assert any("tx-identity" in row for row in rows), rows


def test_a_wrong_client_secret_is_refused_naming_the_setting_and_writes_nothing(
    signed_in: SignedInStorage,  # noqa: F811
    names: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "not-the-secret-7e1a"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", wrong)
    before = contents(signed_in.azurite)

    with pytest.raises(InvalidConfiguration) as refused:
        opened()

    message = str(refused.value)
    assert refused.value.field == "storage_account_url"
    assert "the Azure sign-in failed for https://storage.azure.com/.default" in message
    assert "AADSTS7000215" in message and "(set by FABCTL_STORAGE_ACCOUNT_URL)" in message
    assert wrong not in message and PRINCIPAL.secret not in message
    assert signed_in.authority.requests()[-1].outcome == "invalid_client"
    assert contents(signed_in.azurite) == before  # neither the table nor the container was created
