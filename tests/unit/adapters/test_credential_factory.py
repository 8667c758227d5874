"""FABCTL_AUTH's factory picks azure-identity's credential for each kind and names what a kind lacks.
(Signing in for real: tests/integration/identity.) Building a credential sends nothing."""

from __future__ import annotations

from pathlib import Path

import azure.identity as identity
import pytest

from fabctl.adapters.identity.credentials import AUTH_KINDS, build_credential, missing_setting
from fabctl.domain.errors import InvalidConfiguration

PRINCIPAL = {"AZURE_TENANT_ID": "t-1", "AZURE_CLIENT_ID": "c-1"}


def _with_az(tmp_path: Path) -> dict[str, str]:
    az = tmp_path / "az"
    az.write_text("#!/bin/sh\nexit 1\n")
    az.chmod(0o755)
    return {"PATH": str(tmp_path)}


@pytest.mark.parametrize(
    ("kind", "environ", "expected"),
    [
        ("default", {}, identity.DefaultAzureCredential),
        ("client-secret", {**PRINCIPAL, "AZURE_CLIENT_SECRET": "s3cret-value"}, identity.ClientSecretCredential),
        ("managed-identity", {}, identity.ManagedIdentityCredential),
        ("device-code", {}, identity.DeviceCodeCredential),
        ("environment", {**PRINCIPAL, "AZURE_CLIENT_SECRET": "s3cret-value"}, identity.EnvironmentCredential),
    ],
)
def test_each_kind_is_its_azure_identity_credential(kind: str, environ: dict[str, str], expected: type) -> None:
    assert type(build_credential(kind, environ)) is expected


def test_azure_cli_is_picked_when_az_is_on_path(tmp_path: Path) -> None:
    assert type(build_credential("azure-cli", _with_az(tmp_path))) is identity.AzureCliCredential


def test_azure_cli_without_az_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfiguration, match="`az` is not on PATH"):
        build_credential("azure-cli", {"PATH": str(tmp_path)})


@pytest.mark.parametrize(
    ("kind", "environ", "named"),
    [
        ("client-secret", {}, "AZURE_TENANT_ID"),
        ("client-secret", {"AZURE_TENANT_ID": "t"}, "AZURE_CLIENT_ID"),
        ("client-certificate", PRINCIPAL, "AZURE_CLIENT_CERTIFICATE_PATH"),
        ("workload-identity", PRINCIPAL, "AZURE_FEDERATED_TOKEN_FILE"),
        ("environment", PRINCIPAL, "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"),
        ("client-secret", {**PRINCIPAL, "AZURE_CLIENT_SECRET": "   "}, "AZURE_CLIENT_SECRET"),
    ],
)
def test_a_missing_variable_is_named(kind: str, environ: dict[str, str], named: str) -> None:
    assert named in missing_setting(kind, environ)
    with pytest.raises(InvalidConfiguration, match=named):
        build_credential(kind, environ)


def test_kinds_that_need_nothing_lack_nothing() -> None:
    assert [k for k in ("default", "managed-identity", "device-code") if missing_setting(k, {})] == []


def test_an_unknown_kind_is_refused_listing_the_kinds() -> None:
    with pytest.raises(InvalidConfiguration, match="is not a credential kind") as refused:
        build_credential("password", {})
    assert all(kind in str(refused.value) for kind in AUTH_KINDS)
