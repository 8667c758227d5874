"""What `TokenProvider.token` says when a credential gives no token: one line, what to do, and the
one credential's failure when a credential actually tried. Real azure-identity credentials where they
can fail without a network (the environment credential with no variables); small `TokenCredential`s
of the test's own for a sign-in that fails or an identity provider that cannot be reached."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity import ChainedTokenCredential, EnvironmentCredential

from fabctl.adapters.fabric.http.auth import TokenProvider
from fabctl.adapters.fabric.http.errors import FabricCredentialUnavailable, FabricRequestNotSent
from fabctl.application.errors import AccessDenied

REFUSAL = "AADSTS7000215: Invalid client secret provided."


class Refusing:
    """A credential that tries to sign in and is refused, as Entra ID refuses a wrong secret."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        raise ClientAuthenticationError(message=f"{REFUSAL}\nTrace ID: 1234\nCorrelation ID: 5678")


class Unreachable:
    """A credential whose identity provider cannot be reached."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ServiceRequestError("Failed to resolve 'login.microsoftonline.com'")


class Granting:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("token", 4_000_000_000)


@pytest.fixture
def no_azure_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(name, raising=False)


def failure(credential: Any) -> BaseException:
    with pytest.raises(Exception) as raised:
        TokenProvider(credential).token()
    return raised.value


@pytest.mark.usefixtures("no_azure_variables")
def test_a_chain_with_no_credential_set_up_says_how_to_sign_in_in_one_line() -> None:
    error = failure(ChainedTokenCredential(EnvironmentCredential()))

    assert isinstance(error, FabricCredentialUnavailable) and isinstance(error, AccessDenied)
    message = str(error)
    assert "\n" not in message
    assert message.startswith("CredentialUnavailable: no Azure credential gives fabctl a token for ")
    assert "https://api.fabric.microsoft.com/.default" in message
    for advice in ("az login", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        assert advice in message
    assert "EnvironmentCredential" not in message  # azure-identity's report is the cause, not the message
    assert "EnvironmentCredential" in str(error.__cause__)


@pytest.mark.usefixtures("no_azure_variables")
def test_a_chain_stopped_by_a_credential_that_tried_names_that_failure() -> None:
    refusing = Refusing()
    error = failure(ChainedTokenCredential(EnvironmentCredential(), refusing, Granting()))

    assert isinstance(error, FabricCredentialUnavailable)
    message = str(error)
    assert "\n" not in message
    assert f"Refusing: {REFUSAL}" in message
    assert "az login" in message
    assert "Trace ID" not in message  # the first line of the refusal only
    assert "EnvironmentCredential" not in message  # it was merely unavailable
    assert refusing.calls == 1


def test_a_credential_of_its_own_that_is_refused_gives_its_first_line() -> None:
    error = failure(Refusing())

    assert isinstance(error, FabricCredentialUnavailable)
    assert REFUSAL in str(error) and "Trace ID" not in str(error)


def test_an_identity_provider_out_of_reach_is_a_request_not_sent() -> None:
    error = failure(Unreachable())

    assert isinstance(error, FabricRequestNotSent) and not isinstance(error, AccessDenied)
    assert "login.microsoftonline.com" in str(error)


def test_a_failed_sign_in_is_not_cached() -> None:
    refusing = Refusing()
    tokens = TokenProvider(refusing)
    for _ in range(2):
        with pytest.raises(FabricCredentialUnavailable):
            tokens.token()

    assert refusing.calls == 2  # each call tries again: a sign-in in another shell may have fixed it
