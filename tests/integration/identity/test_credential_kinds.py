"""Each FABCTL_AUTH kind that can run here, built by the product's factory and signed in for real:
azure-identity's own credential against the Entra-like authority (secret, certificate, federated
token) or App Service's managed identity endpoint, each token read for whose it is."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError
from client_identities import client_certificate
from entra_authority import principal_object_id
from signed_in_identity import MANAGED_CLIENT_ID, PRINCIPAL, SignedInIdentity, signed_in_identity

from fabctl.adapters.fabric.http.auth import FABRIC_SCOPE
from fabctl.adapters.identity.credentials import build_credential
from fabctl.adapters.identity.token_claims import principal_of_token
from fabctl.domain.errors import InvalidConfiguration


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("identity"))


def _signed_in(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> dict[str, str]:
    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)  # azure-identity reads the proxy, the CA and IDENTITY_* itself
    return environment


@pytest.mark.parametrize("kind", ["client-secret", "client-certificate", "workload-identity"])
def test_a_service_principal_signs_in_and_its_token_names_it(
    kind: str, world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _signed_in(monkeypatch, world.environment(kind))
    before = len(world.authority.requests())

    token = build_credential(kind, environment).get_token(FABRIC_SCOPE)

    principal = principal_of_token(token.token)
    assert principal.name == PRINCIPAL.client_id
    assert principal.object_id == principal_object_id(PRINCIPAL.client_id)
    assert principal.tenant_id == PRINCIPAL.tenant
    assert principal.is_application
    asked = world.authority.requests()[before:]
    assert [(r.client_id, r.scope, r.outcome) for r in asked] == [(PRINCIPAL.client_id, FABRIC_SCOPE, "issued")]


def test_a_managed_identity_signs_in_through_identity_endpoint(
    world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _signed_in(monkeypatch, world.environment("managed-identity"))

    token = build_credential("managed-identity", environment).get_token(FABRIC_SCOPE)

    assert principal_of_token(token.token).name == MANAGED_CLIENT_ID
    assert world.managed.requests[-1] == "https://api.fabric.microsoft.com"


def test_a_wrong_secret_is_refused_by_the_authority(world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = _signed_in(monkeypatch, {**world.environment("client-secret"), "AZURE_CLIENT_SECRET": "not-it"})

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        build_credential("client-secret", environment).get_token(FABRIC_SCOPE)


def test_a_certificate_the_app_does_not_hold_is_refused(
    world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stranger = client_certificate(tmp_path, "stranger")
    environment = _signed_in(
        monkeypatch, {**world.environment("client-certificate"), "AZURE_CLIENT_CERTIFICATE_PATH": str(stranger.pem)}
    )

    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        build_credential("client-certificate", environment).get_token(FABRIC_SCOPE)


def test_a_federated_token_for_another_subject_is_refused(
    world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = world.federated.token_file(tmp_path, subject="repo:someone/else:ref:refs/heads/main")
    environment = _signed_in(
        monkeypatch, {**world.environment("workload-identity"), "AZURE_FEDERATED_TOKEN_FILE": str(other)}
    )

    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        build_credential("workload-identity", environment).get_token(FABRIC_SCOPE)


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("client-secret", "AZURE_CLIENT_SECRET"),
        ("client-certificate", "AZURE_CLIENT_CERTIFICATE_PATH"),
        ("workload-identity", "AZURE_FEDERATED_TOKEN_FILE"),
    ],
)
def test_a_missing_variable_is_named_before_anything_is_sent(kind: str, missing: str, world: SignedInIdentity) -> None:
    environment = {k: v for k, v in world.environment(kind).items() if k != missing}
    before = len(world.authority.requests())

    with pytest.raises(InvalidConfiguration, match=f"FABCTL_AUTH={kind} needs {missing}, which is not set"):
        build_credential(kind, environment)
    assert len(world.authority.requests()) == before


@pytest.mark.parametrize("kind", ["client-secret", "client-certificate", "workload-identity", "managed-identity"])
def test_no_token_or_secret_reaches_azure_identity_or_msal_logs_even_at_debug(
    kind: str, world: SignedInIdentity, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    environment = _signed_in(monkeypatch, world.environment(kind))
    caplog.set_level(logging.DEBUG)  # every logger: azure.identity, azure.core's HTTP policies, msal, urllib3

    token = build_credential(kind, environment).get_token(FABRIC_SCOPE).token

    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert caplog.records  # the libraries did log at this level: the search below searched something
    assert token not in logged
    assert token.split(".")[2] not in logged  # not even the signature alone
    assert PRINCIPAL.secret not in logged
