"""A definition goes out streamed, yet on the wire it is an ordinary request: a Content-Length, no chunked
transfer encoding, the JSON body byte for byte; the emulator stores exactly the parts sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from emulator_process import RunningEmulator, configure, requests_log

from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.adapters.fabric.http.transport import FabricHttpClient
from fabctl.adapters.fabric.http.uploads import CHUNK_BYTES, DefinitionUpload
from fabctl.domain.definition import DefinitionPart, ItemDefinition

BINARY = bytes(range(256)) * (2 * CHUNK_BYTES // 256 + 5)  # several chunks, not a multiple of 3
NOTEBOOK = b"# Fabric notebook source\n\n# CELL ********************\n\nprint('h\xc3\xa9llo')\n"
DEFINITION = ItemDefinition.of(
    [DefinitionPart("notebook-content.py", NOTEBOOK), DefinitionPart("Files/model.bin", BINARY)]
)


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # the name http.server dispatches to
        length = int(self.headers.get("Content-Length", "0"))
        Recorder.received.append(({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:  # silence the per-request log
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_streamed_definition_is_sent_with_its_length_and_the_exact_body(recorder: str) -> None:
    fields = {"displayName": "Sales", "type": "Notebook"}
    client = FabricHttpClient(recorder)
    try:
        client.request("POST", "workspaces/w/items", stream=DefinitionUpload(DEFINITION, fields))
    finally:
        client.close()

    [(headers, body)] = Recorder.received
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) == len(body)
    assert headers["content-type"] == "application/json"
    sent = json.loads(body)
    assert {k: sent[k] for k in fields} == fields
    assert [p["path"] for p in sent["definition"]["parts"]] == ["Files/model.bin", "notebook-content.py"]


@pytest.fixture
def gateway(fresh_emulator: RunningEmulator) -> Iterator[HttpxFabricGateway]:
    with HttpxFabricGateway(fresh_emulator.url, lro_poll_interval_s=0.05) as fabric:
        yield fabric


def test_the_emulator_stores_the_parts_a_stream_sent_on_create_and_on_update(gateway: HttpxFabricGateway) -> None:
    workspace = gateway.create_workspace("Uploads")

    item = gateway.create_item(workspace.id, "Notebook", "Sales", definition=DEFINITION)
    assert gateway.get_definition(workspace.id, item.id).without_platform() == DEFINITION

    changed = ItemDefinition.of([DefinitionPart("notebook-content.py", NOTEBOOK + b"print(2)\n")])
    gateway.update_definition(workspace.id, item.id, changed)
    assert gateway.get_definition(workspace.id, item.id).without_platform() == changed


def test_a_throttled_upload_is_streamed_again_whole(fresh_emulator: RunningEmulator) -> None:
    # An update is retried by the transport after a 429 with the same stream object: httpx must be able
    # to read it again from the start, and the emulator must store the whole of it.
    configure(fresh_emulator, lro_ms=0)
    with HttpxFabricGateway(fresh_emulator.url, lro_poll_interval_s=0.01) as gateway:
        workspace = gateway.create_workspace("Throttled uploads")
        item = gateway.create_item(workspace.id, "Notebook", "Sales", definition=DEFINITION)
        configure(fresh_emulator, throttle_rpm=2, throttle_window_s=1)
        versions = [ItemDefinition.of([DefinitionPart("Files/model.bin", bytes([n]) + BINARY)]) for n in range(4)]
        for version in versions:
            gateway.update_definition(workspace.id, item.id, version)
            assert gateway.get_definition(workspace.id, item.id).without_platform() == version

    log = requests_log(fresh_emulator)
    updates = log["byRoute"]["POST /v1/workspaces/{workspaceId}/items/{itemId}/updateDefinition"]
    assert updates > len(versions)  # some were refused with a 429 and streamed again
    assert log["earlyRetries"] == 0
