"""fabctl's `HttpxFabricGateway` against the emulator's recorded answers (the recorded profile): a 201
create is read from its body, a 202 create is polled after the Retry-After Fabric asked for and read
from `/result` (sent without a charset), and the typed routes give the SQL endpoint and query service.

The gateway's `sleep` is a recorder: it shows what the gateway would have waited without waiting, so
its polls come early and the emulator is told to allow them (`--allow-early-polls`; ADR 0029).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_process import RunningEmulator, configure, requests_log, reset, running_emulator

from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.domain.definition import DefinitionPart, ItemDefinition

OPERATIONS = ("GET /v1/operations/{operationId}", "GET /v1/operations/{operationId}/result")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # Operations take no time, provisioning is instant: only the Retry-After values are Fabric's.
    workdir: Path = tmp_path_factory.mktemp("recorded-gateway")
    args = ("--profile", "recorded", "--allow-early-polls", "--lro-ms", "0", "--sql-endpoint-ms", "0")
    with running_emulator(*args, tmp_path=workdir) as emulator:
        yield emulator


@pytest.fixture
def waits(recorded: RunningEmulator) -> list[float]:
    reset(recorded)
    configure(recorded, lro_share=1.0)
    return []


def _gateway(emulator: RunningEmulator, waits: list[float]) -> HttpxFabricGateway:
    return HttpxFabricGateway(emulator.url, lro_poll_interval_s=0.5, sleep=waits.append)


def _polls(emulator: RunningEmulator) -> int:
    routes = requests_log(emulator)["byRoute"]
    return sum(int(routes.get(route, 0)) for route in OPERATIONS)


def test_a_201_create_is_read_from_its_body_without_polling(recorded: RunningEmulator, waits: list[float]) -> None:
    gateway = _gateway(recorded, waits)
    try:
        workspace = gateway.create_workspace("Recorded 201")
        lakehouse = gateway.create_item(workspace.id, "Lakehouse", "Bronze")
    finally:
        gateway.close()

    assert (lakehouse.type, lakehouse.name) == ("Lakehouse", "Bronze")
    assert (waits, _polls(recorded)) == ([], 0)


def test_a_202_create_waits_the_recorded_retry_after_then_reads_the_result(
    recorded: RunningEmulator, waits: list[float]
) -> None:
    definition = ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print(1)\n")])
    gateway = _gateway(recorded, waits)
    try:
        workspace = gateway.create_workspace("Recorded 202")
        notebook = gateway.create_item(workspace.id, "Notebook", "Load", definition=definition)
        read = gateway.get_definition(workspace.id, notebook.id)
    finally:
        gateway.close()

    assert (notebook.type, notebook.name) == ("Notebook", "Load")
    assert waits[0] == 20.0  # the create's Retry-After, honoured before the first poll
    assert any((p.path, p.text) == ("notebook-content.py", "print(1)\n") for p in read.parts)


def test_typed_routes_give_the_sql_endpoint_and_the_query_service(
    recorded: RunningEmulator, waits: list[float]
) -> None:
    gateway = _gateway(recorded, waits)
    try:
        workspace = gateway.create_workspace("Recorded typed")
        lakehouse = gateway.create_item(workspace.id, "Lakehouse", "Bronze", creation_payload={"enableSchemas": True})
        eventhouse = gateway.create_item(workspace.id, "Eventhouse", "Events")
        endpoint = gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpoint")
        endpoint_id = gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpointid")
        uri = gateway.get_item_attribute(workspace.id, "Eventhouse", eventhouse.id, "queryserviceuri")
    finally:
        gateway.close()

    assert endpoint is not None and endpoint.endswith(".datawarehouse.fabric.local")
    assert endpoint_id is not None and endpoint_id != lakehouse.id
    assert uri is not None and uri.startswith("https://")
