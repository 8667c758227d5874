"""What the Azure state store's checks say when an identity signed in with azure-identity is refused.

Azurite has no Microsoft Entra ID and no roles, so these two answers of Azure's come from here: a
credential of the test's own that gives no token (the real SDK clients ask it before they connect,
so nothing is sent), and Azure's 403 for an identity without the data role, built as the storage
SDKs raise it (`error_code` set on an `HttpResponseError`). The key and SAS cases run against
Azurite: tests/integration/test_azure_state_clients.py and tests/e2e/test_cli_azure_state_settings.py.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.identity import CredentialUnavailableError

from fabctl.adapters.state.azure_account import AccountEndpoints
from fabctl.adapters.state.azure_clients import open_with_credential
from fabctl.adapters.state.azure_refusals import Reach, Step, StorageUnusable, refusal


class SignedOut:
    """A credential with nobody signed in, as azure-identity's chain reports it."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.extend(scopes)
        raise CredentialUnavailableError(message="EnvironmentCredential: environment variables are not fully set")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_identity_that_gets_no_token_is_told_how_to_sign_in_before_anything_is_sent() -> None:
    nowhere = f"https://127.0.0.1:{closed_port()}"
    credential = SignedOut()

    with pytest.raises(StorageUnusable) as refused:
        open_with_credential(
            AccountEndpoints("contoso", nowhere, nowhere), credential, table="t1", container="c1", create=True
        )

    assert refused.value.part == "access"
    assert credential.scopes == ["https://storage.azure.com/.default"]
    assert "no Azure credential gives fabctl a token for https://storage.azure.com/.default" in refused.value.problem
    assert "az login" in refused.value.problem
    assert "does not answer" not in refused.value.problem  # the token was asked first: no connection was tried


def azure_403(code: str, message: str) -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = 403
    error.error_code = code  # type: ignore[attr-defined]  # the storage SDKs set it
    return error


@pytest.mark.parametrize(
    ("service", "role"), [("table", "Storage Table Data Contributor"), ("blob", "Storage Blob Data Contributor")]
)
def test_an_identity_without_the_data_role_is_told_which_role_on_which_account(service: Any, role: str) -> None:
    mismatch = azure_403(
        "AuthorizationPermissionMismatch",
        "This request is not authorized to perform this operation using this permission.",
    )
    step = Step("write to", service, "fabctlstate", "https://contoso.table.core.windows.net")

    problem = refusal(mismatch, step, Reach("contoso", "identity")).problem

    assert f"needs the {role} role on account 'contoso'" in problem
    assert "403 AuthorizationPermissionMismatch" in problem
    assert "network rules" not in problem


def test_an_authorization_failure_also_names_the_network_rules() -> None:
    failure = azure_403("AuthorizationFailure", "This request is not authorized to perform this operation.")
    step = Step("read", "table", "fabctlstate", "https://contoso.table.core.windows.net")

    problem = refusal(failure, step, Reach("contoso", "identity")).problem

    assert "needs the Storage Table Data Contributor role on account 'contoso'" in problem
    assert "network rules" in problem
