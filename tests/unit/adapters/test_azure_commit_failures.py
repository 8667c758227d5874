"""A commit the table service fails says what it was committing and what the service answered, even when the
SDK's error has no message (it then reads "None"); never the account key. The real SDK, against a scripted
server on 127.0.0.1 answering the batch as a failing service would."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.data.tables import TableClient
from scripted_server import ScriptedServer, scripted_servers

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_batch import EntityTable
from fabctl.adapters.state.azure_entities import lease_entity

ACCOUNT = "devstoreaccount1"
KEY = "c2VjcmV0LWtleS1uZXZlci1wcmludGVk"  # base64 of "secret-key-never-printed"


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    yield from scripted_servers()


def table_at(server: ScriptedServer) -> EntityTable:
    endpoint = server.url.removesuffix("/v1") + f"/{ACCOUNT}"
    client = TableClient(endpoint, "fabctlstate", credential=AzureNamedKeyCredential(ACCOUNT, KEY), retry_total=0)
    table = EntityTable(client)
    table.begin()
    table.create(lease_entity("ws-1", "tx-1", "2026-12-04T18:00:00.000000+00:00", "{}"))
    return table


def commit_error(table: EntityTable) -> str:
    with pytest.raises(StateStoreError) as failed:
        table.commit()
    return str(failed.value)


def test_a_batch_refused_without_a_message_names_the_operation_and_the_status(
    scripted: Callable[..., ScriptedServer],
) -> None:
    message = commit_error(table_at(scripted([(500, {}, None)])))

    assert message == "state store table fabctlstate: commit failed at create of the lease on workspace ws-1: HTTP 500"
    assert "None" not in message and KEY not in message


def test_a_batch_refused_with_a_code_and_message_gives_both(scripted: Callable[..., ScriptedServer]) -> None:
    said = "One of the request inputs is not valid."
    body = {"odata.error": {"code": "InvalidInput", "message": {"lang": "en-US", "value": said}}}

    message = commit_error(table_at(scripted([(400, {}, body)])))

    assert message.endswith(f"commit failed at create of the lease on workspace ws-1: HTTP 400 InvalidInput: {said}")


def test_a_batch_never_answered_says_why_in_the_sdks_words(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([])
    table = table_at(server)
    server.stop()  # nothing listens on its port any more

    message = commit_error(table)

    assert message.startswith("state store table fabctlstate: commit failed at create of the lease on workspace ws-1: ")
    detail = message.rsplit(": ", 1)[-1]
    assert detail and detail != "None" and KEY not in message
