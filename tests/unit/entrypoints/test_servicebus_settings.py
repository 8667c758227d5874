"""The Service Bus settings: named once, by namespace or by connection string; never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.settings import load_settings, servicebus_connection_string

SECRET = "Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=s3cr3t-key="


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("FABCTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_default_bus_is_in_memory_with_the_documented_entity_names() -> None:
    settings = load_settings()
    assert (settings.event_bus, settings.events_topic, settings.commands_queue) == (
        "memory",
        "fabctl-events",
        "fabctl-commands",
    )


def test_a_namespace_name_becomes_its_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_NAMESPACE", "contoso-prod")
    assert load_settings().servicebus_namespace == "contoso-prod.servicebus.windows.net"


def test_service_bus_without_a_namespace_says_which_variables_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert refused.value.field == "servicebus_namespace"
    assert "FABCTL_SERVICEBUS_NAMESPACE" in str(refused.value)
    assert "FABCTL_SERVICEBUS_CONNECTION_STRING" in str(refused.value)


def test_both_ways_given_is_refused_without_showing_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_NAMESPACE", "contoso-prod")
    monkeypatch.setenv("FABCTL_SERVICEBUS_CONNECTION_STRING", SECRET)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert "both set" in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


def test_the_connection_string_is_kept_for_the_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_EVENT_BUS", "servicebus")
    monkeypatch.setenv("FABCTL_SERVICEBUS_CONNECTION_STRING", SECRET)
    settings = load_settings()
    assert servicebus_connection_string(settings) == SECRET
    assert "s3cr3t" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("FABCTL_SERVICEBUS_NAMESPACE", "ab", "servicebus_namespace"),
        ("FABCTL_EVENTS_TOPIC", "-events", "events_topic"),
        ("FABCTL_COMMANDS_QUEUE", "has space", "commands_queue"),
        ("FABCTL_EVENT_BUS", "kafka", "event_bus"),
    ],
)
def test_a_bad_name_is_refused_naming_its_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert refused.value.field == field
    assert variable in str(refused.value)
