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
from azurite_contents import contents
from azurite_process import fresh_name
from signed_in_storage import ACCOUNT_URL, PRINCIPAL, SUFFIX, SignedInStorage, signed_in  # noqa: F401 (a fixture)

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_refusals import STORAGE_SCOPE
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.transaction import Transaction
from fabctl.entrypoints import bootstrap as bootstrap_module
from fabctl.entrypoints.bootstrap import App, bootstrap
from fabctl.entrypoints.settings import load_settings

STARTED = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signed_in: SignedInStorage) -> tuple[str, str]:  # noqa: F811
    """This test's table and container, and the signed-in settings in this process's environment."""
    table, container = fresh_name("idstate"), fresh_name("idblobs")
    monkeypatch.chdir(tmp_path)  # no fabctl.toml of the repository's
    # Each test is a new fabctl process: a new process credential, so no token cached by an earlier test.
    monkeypatch.setattr(bootstrap_module, "_PROCESS_CREDENTIALS", {})
    for name, value in {
        **signed_in.environment(),
        "FABCTL_STATE_TABLE": table,
        "FABCTL_STATE_CONTAINER": container,
    }.items():
        monkeypatch.setenv(name, value)
    return table, container


def opened() -> App:
    return bootstrap(load_settings())


def test_the_account_url_store_signs_in_with_the_environment_credential_and_passes_its_checks(
    signed_in: SignedInStorage,  # noqa: F811
    names: tuple[str, str],
) -> None:
    table, container = names
    token_requests, bearer_before = len(signed_in.authority.requests()), signed_in.bearer_requests()

    app = opened()  # opening runs the checks: reads, writes that cannot take effect, then creation
    with app.uow:
        assert app.uow.transactions.list() == []

    asked = signed_in.authority.requests()[token_requests:]
    assert [(r.tenant, r.client_id, r.grant_type, r.scope, r.outcome) for r in asked] == [
        (PRINCIPAL.tenant, PRINCIPAL.client_id, "client_credentials", STORAGE_SCOPE, "issued")
    ]  # one sign-in; both services share the token
    # Azurite's debug log, which it writes behind the answers: the count is evidence, not an exact figure.
    assert signed_in.bearer_requests() > bearer_before
    reached = signed_in.proxy.tunnels()
    assert reached[f"devstoreaccount1.table.{SUFFIX}"] > 0 and reached[f"devstoreaccount1.blob.{SUFFIX}"] > 0
    assert not signed_in.proxy.refused()  # no probe of any other host (IMDS, another authority)
    # The account's own view, with the development key rather than the token: both were created.
    found = contents(signed_in.azurite)
    assert found["tables"][table] == [] and found["containers"][container] == []


# Azurite 3.37.0 answers 500 to every entity group transaction ($batch) sent to a production-style
# host (https://ACCOUNT.table.HOST/): TableBatchSerialization.extractPath matches /\w+/(\w+) in each
# sub-request's URL, which only a path-style URL (/ACCOUNT/TABLE) has. It does so with the account
# key too (shown while writing this test), so it is Azurite's URL handling, not the sign-in. Every
# commit of the store is one such transaction. Strict: the day Azurite handles it, this test fails
# as XPASS and the mark must go.
AZURITE_BATCH_BUG = pytest.mark.xfail(
    raises=StateStoreError,
    strict=True,
    reason="Azurite 3.37.0 answers 500 to $batch on production-style table URLs (see comment)",
)


@AZURITE_BATCH_BUG
def test_the_account_url_store_keeps_a_transaction_and_a_second_root_reads_it(
    signed_in: SignedInStorage,  # noqa: F811
    names: tuple[str, str],
) -> None:
    writer = opened()
    with writer.uow:
        writer.uow.transactions.add(Transaction.start("tx-identity", "ws-1", "dev", STARTED, "src", actor="ci"))
        writer.uow.commit()
    reader = opened()  # a second composition root: a new credential, as a second process would have
    with reader.uow:
        found = reader.uow.transactions.get("tx-identity")

    assert found is not None
    assert (found.workspace_id, found.environment, found.started_at, found.actor) == ("ws-1", "dev", STARTED, "ci")


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


def test_a_token_for_another_audience_is_refused_by_the_account_naming_the_setting(
    signed_in: SignedInStorage,  # noqa: F811
    names: tuple[str, str],
) -> None:
    before = contents(signed_in.azurite)
    signed_in.authority.audience = "https://vault.azure.net"  # a valid token, for another resource
    try:
        with pytest.raises(InvalidConfiguration) as refused:
            opened()
    finally:
        signed_in.authority.audience = None

    # Azurite answers 403 AuthenticationFailed ("Invalid token audience"); Azure answers 401. Either is
    # a refused sign-in, not a missing role: Azurite has no roles (it grants any valid token everything).
    assert refused.value.field == "storage_account_url"
    assert "account 'devstoreaccount1' refuses fabctl's sign-in (403 AuthenticationFailed)" in str(refused.value)
    assert contents(signed_in.azurite) == before
