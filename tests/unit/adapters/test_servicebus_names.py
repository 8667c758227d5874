"""Service Bus names are checked before anything connects, with what to give instead."""

from __future__ import annotations

import pytest

from fabctl.adapters.servicebus.names import entity_name_problem, namespace_host


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("contoso", "contoso.servicebus.windows.net"),
        ("Contoso-Prod ", "contoso-prod.servicebus.windows.net"),
        ("sb://contoso.servicebus.windows.net/", "contoso.servicebus.windows.net"),
        ("contoso.servicebus.chinacloudapi.cn", "contoso.servicebus.chinacloudapi.cn"),
    ],
)
def test_a_namespace_is_its_host_name(given: str, host: str) -> None:
    assert namespace_host(given) == host


@pytest.mark.parametrize("given", ["abc", "1contoso", "contoso-", "con toso", "x" * 51, "a.b"])
def test_a_name_azure_refuses_is_refused_with_what_to_give(given: str) -> None:
    with pytest.raises(ValueError, match="Service Bus namespace"):
        namespace_host(given)


@pytest.mark.parametrize("name", ["fabctl-events", "a", "team/fabctl.commands_1"])
def test_a_queue_or_topic_name_azure_accepts_has_no_problem(name: str) -> None:
    assert entity_name_problem(name) == ""


@pytest.mark.parametrize("name", ["", "-events", "events/", "has space", "x" * 261])
def test_a_queue_or_topic_name_azure_refuses_has_a_problem(name: str) -> None:
    assert "queue or topic name" in entity_name_problem(name)
