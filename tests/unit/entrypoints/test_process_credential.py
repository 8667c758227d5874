"""One credential per process, shared by every Azure service; chosen explicitly, it is used even for a
loopback Fabric; and with a credential in use, a typed --user is refused (cli/acting.py)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.bootstrap import credential_for
from fabctl.entrypoints.cli.acting import acting, signed_in_scope
from fabctl.entrypoints.settings import load_settings

SECRET = {"AZURE_TENANT_ID": "t-1", "AZURE_CLIENT_ID": "c-1", "AZURE_CLIENT_SECRET": "unit-test-secret"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith(("FABCTL_", "AZURE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _signed_in(monkeypatch: pytest.MonkeyPatch, **settings: Any) -> Any:
    for name, value in SECRET.items():
        monkeypatch.setenv(name, value)
    return load_settings(auth="client-secret", **settings)


def test_every_service_gets_the_same_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _signed_in(monkeypatch)

    fabric = credential_for("https://api.fabric.microsoft.com/v1", settings)
    storage = credential_for("https://acct.table.core.windows.net", settings)
    servicebus = credential_for("https://ns.servicebus.windows.net", settings)

    assert fabric is not None and fabric is storage is servicebus


def test_without_a_kind_a_loopback_fabric_gets_no_credential_and_another_url_the_default_chain() -> None:
    from azure.identity import DefaultAzureCredential

    settings = load_settings()

    assert credential_for("http://127.0.0.1:5000/v1", settings) is None
    assert isinstance(credential_for("https://api.fabric.microsoft.com/v1", settings), DefaultAzureCredential)


def test_a_chosen_kind_is_used_even_for_a_loopback_fabric(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ClientSecretCredential

    settings = _signed_in(monkeypatch, fabric_url="http://127.0.0.1:5000/v1")

    assert isinstance(credential_for(settings.fabric_url, settings), ClientSecretCredential)


def test_changed_variables_build_a_new_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _signed_in(monkeypatch)
    first = credential_for("https://api.fabric.microsoft.com/v1", settings)
    monkeypatch.setenv("AZURE_CLIENT_ID", "c-2")

    assert credential_for("https://api.fabric.microsoft.com/v1", settings) is not first


def test_a_missing_variable_of_the_chosen_kind_fails_the_settings_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_AUTH", "client-certificate")
    monkeypatch.setenv("AZURE_TENANT_ID", "t-1")
    monkeypatch.setenv("AZURE_CLIENT_ID", "c-1")

    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()

    assert refused.value.field == "auth"
    assert "needs AZURE_CLIENT_CERTIFICATE_PATH" in str(refused.value) and "set by FABCTL_AUTH" in str(refused.value)


@pytest.mark.parametrize(
    ("settings", "signed_in"),
    [
        ({}, False),
        ({"fabric_url": "http://127.0.0.1:5000/v1"}, False),
        ({"fabric_url": "https://api.fabric.microsoft.com"}, True),
        ({"state_store": "azure", "storage_account_url": "contosoacct"}, True),
        ({"event_bus": "servicebus", "servicebus_namespace": "contoso-bus"}, True),
    ],
)
def test_a_credential_is_in_use_when_a_service_is_signed_in_to(settings: dict[str, str], signed_in: bool) -> None:
    assert (signed_in_scope(load_settings(**settings)) is not None) == signed_in


def test_user_is_refused_when_a_credential_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    application: Any = SimpleNamespace(settings=_signed_in(monkeypatch))

    with pytest.raises(InvalidConfiguration, match="never a typed name") as refused:
        acting("alice", application)
    assert "FABCTL_AUTH=client-secret" in str(refused.value)


def test_without_a_credential_the_typed_user_acts_unverified() -> None:
    application: Any = SimpleNamespace(settings=load_settings(user="os-user"))

    assert (acting("alice", application).name, acting("alice", application).verified) == ("alice", False)
    assert acting(None, application).name == "os-user"
