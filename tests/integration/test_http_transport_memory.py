"""What the HTTP transport leaves behind once a call is over.

httpx ties each response to a stream that refers back to it. Left so, a response, and through it the request
and its body (a whole definition), is freed only when the cyclic garbage collector next runs over the oldest
generation, which a long deployment reaches rarely: peak memory grew with the item count. The transport
breaks the tie, so that reference counting frees a response the moment the last holder drops it.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from emulator_process import RunningEmulator

from fabctl.adapters.fabric.http.transport import FabricHttpClient

BIG = "x" * 200_000  # as big as a large definition


@pytest.fixture
def client(fresh_emulator: RunningEmulator) -> Iterator[FabricHttpClient]:
    http = FabricHttpClient(fresh_emulator.url)
    yield http
    http.close()


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_dropped_response_is_freed_at_once(client: FabricHttpClient, no_cycle_collector: None) -> None:
    response = client.request("POST", "workspaces", json={"displayName": "Freed", "description": "d"})
    # Everything a caller reads is still there after the tie is broken.
    assert response.status_code == 201
    assert response.json()["displayName"] == "Freed"
    assert response.read() == response.content
    assert b"".join(response.iter_bytes()) == response.content

    response_alive, request_alive = weakref.ref(response), weakref.ref(response.request)
    del response

    assert response_alive() is None
    assert request_alive() is None


def test_a_response_held_on_to_does_not_hold_the_body_it_answered(client: FabricHttpClient) -> None:
    # A 202 is held for the whole long-running operation; the definition it answered must not be.
    response = client.request("POST", "workspaces", json={"displayName": "Sent", "description": BIG[:4000]})

    assert response.json()["description"] == BIG[:4000]  # the body was sent whole
    sent = response.request
    assert (sent.method, sent.url.path, sent.headers["Content-Type"]) == ("POST", "/v1/workspaces", "application/json")
    assert sent.content == b""
