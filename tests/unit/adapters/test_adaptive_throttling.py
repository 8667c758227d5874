"""The throttling parts added for issue 11, each on its own: the adaptive width (AIMD), the gate's last
check made atomic with closing it, the check made on the wire after the token and the connection, the
repeat of operations that failed in a way that may pass, and the Fabric URL as it may be given.

Time is injected where the code waits; the HTTP checks talk to a scripted server on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from scripted_server import Answer, ScriptedServer, scripted_servers
from stepping_clock import SteppingClock

from fabctl.adapters.fabric.http.auth import TokenProvider
from fabctl.adapters.fabric.http.concurrency import AdaptiveConcurrency
from fabctl.adapters.fabric.http.errors import FabricOperationFailed
from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.adapters.fabric.http.throttle import ThrottleGate
from fabctl.adapters.fabric.http.transport import FabricHttpClient
from fabctl.adapters.fabric.http.urls import fabric_api_base
from fabctl.domain.definition import DefinitionPart, ItemDefinition


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    yield from scripted_servers()


# --- the adaptive width -----------------------------------------------------------------------------


def test_the_width_is_unlimited_until_the_service_first_throttles() -> None:
    width = AdaptiveConcurrency()

    episodes = [width.acquire() for _ in range(500)]  # would block forever if anything limited it

    assert set(episodes) == {0}
    assert width.limit >= 500


def test_a_429_halves_the_requests_in_flight_once_per_episode_and_answers_widen_it_again() -> None:
    width = AdaptiveConcurrency()
    first = [width.acquire() for _ in range(16)]

    width.release(first[0], 429)  # 16 on the wire when the budget ran out
    after_first = width.limit
    for episode in first[1:6]:
        width.release(episode, 429)  # sent before the drop: no news, no second drop
    after_stragglers = width.limit
    for episode in first[6:]:
        width.release(episode, 200)
    widened = width.limit
    later = width.acquire()
    width.release(later, 429)  # sent after the drop: a new episode
    after_second = width.limit

    assert (after_first, after_stragglers) == (8, 8)
    assert widened == 9  # ten answers at 1/limit each: a little over one request more
    assert later == 1
    assert after_second == 1  # half of the one request then on the wire, and never below one


def test_a_worker_waits_for_room_on_the_wire_once_the_width_has_dropped() -> None:
    width = AdaptiveConcurrency()
    sent = [width.acquire() for _ in range(4)]
    width.release(sent[0], 429)  # four on the wire: the limit drops to two, three are still out
    started = threading.Event()

    def another() -> None:
        width.acquire()
        started.set()

    worker = threading.Thread(target=another, daemon=True)
    worker.start()
    width.release(sent[1], None)  # two out: still no room
    assert not started.wait(0.2)
    width.release(sent[2], None)  # one out: room
    assert started.wait(10)
    worker.join(10)


# --- the gate's last check ----------------------------------------------------------------------------


def test_a_429_read_while_a_worker_is_sending_headers_closes_the_gate_only_once_they_are_out() -> None:
    gate = ThrottleGate()
    assert gate.start_sending() == 0.0  # the gate is open: this worker's headers are going out
    closed = threading.Event()

    def read_a_429() -> None:
        gate.block_for(30)
        closed.set()

    reader = threading.Thread(target=read_a_429, daemon=True)
    reader.start()
    assert not closed.wait(0.2)  # held: the request being written was sent before the 429 was read
    gate.done_sending()
    assert closed.wait(10)
    reader.join(10)
    assert gate.remaining() > 29


def test_the_gate_is_checked_again_on_the_wire_after_the_token_and_the_connection(
    scripted: Callable[..., ScriptedServer],
) -> None:
    # While this worker fetched its token, another read a 429 asking for 5 s: the request waits on the
    # wire for the rest of that block, though it had passed the gate's first check.
    clock = SteppingClock()
    gate = ThrottleGate(clock=clock, sleep=clock.sleep)

    class CredentialDuringA429:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            gate.block_for(5)
            return AccessToken("token", int(clock()) + 3600)

    server = scripted([(200, {}, {"value": []})], clock)
    client = FabricHttpClient(
        server.url, tokens=TokenProvider(CredentialDuringA429(), clock=clock), gate=gate, sleep=clock.sleep, clock=clock
    )
    started = clock()

    client.request("GET", "workspaces")
    client.close()

    assert [(seen["method"], seen["path"]) for seen in server.seen] == [("GET", "/v1/workspaces")]
    assert server.seen[0]["at"] >= started + 5


# --- operations that failed in a way that may pass --------------------------------------------------


def operation_answers(server_url: str, state: dict[str, Any]) -> list[Answer]:
    accepted = (
        202,
        {"Location": f"{server_url}/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "1"},
        None,
    )
    return [accepted, (200, {}, state)]


def failed(code: str, *, retriable: bool = False) -> dict[str, Any]:
    return {"status": "Failed", "error": {"errorCode": code, "message": f"{code}!", "isRetriable": retriable}}


SUCCEEDED = {"status": "Succeeded", "percentComplete": 100, "error": None}
ITEM = {"id": "i-1", "type": "Notebook", "displayName": "Load", "description": "", "workspaceId": "w-1"}
NOTEBOOK = ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print(1)\n")])


def gateway(server: ScriptedServer, clock: SteppingClock, **options: Any) -> HttpxFabricGateway:
    return HttpxFabricGateway(server.url, sleep=clock.sleep, clock=clock, retry_backoff_s=0.5, **options)


@pytest.mark.parametrize(
    "failure", [failed("UnknownError"), failed("SomethingNew", retriable=True)], ids=["transient code", "isRetriable"]
)
def test_a_create_whose_operation_failed_in_a_way_that_may_pass_looks_then_creates_once_more(
    scripted: Callable[..., ScriptedServer], failure: dict[str, Any]
) -> None:
    clock = SteppingClock()
    server = scripted([], clock)
    server.script += operation_answers(server.url, failure)
    server.script.append((200, {}, {"value": []}))  # the look: the failed create left nothing
    server.script += [*operation_answers(server.url, SUCCEEDED), (200, {}, ITEM)]

    with gateway(server, clock) as fabric:
        created = fabric.create_item("w-1", "Notebook", "Load", definition=NOTEBOOK)

    assert (created.id, created.name) == ("i-1", "Load")
    assert [(seen["method"], seen["path"]) for seen in server.seen] == [
        ("POST", "/v1/workspaces/w-1/items"),
        ("GET", "/v1/operations/op-1"),
        ("GET", "/v1/workspaces/w-1/items?type=Notebook"),
        ("POST", "/v1/workspaces/w-1/items"),
        ("GET", "/v1/operations/op-1"),
        ("GET", "/v1/operations/op-1/result"),
    ]


def test_a_refusal_for_cause_is_not_repeated_and_passing_failures_stop_at_the_bound(
    scripted: Callable[..., ScriptedServer],
) -> None:
    clock = SteppingClock()
    server = scripted([], clock)
    server.script += operation_answers(server.url, failed("CorruptedPayload"))
    for _ in range(3):  # the first attempt and two repeats, each followed by... nothing more
        server.script += operation_answers(server.url, failed("UnknownError"))

    with gateway(server, clock, operation_retries=2) as fabric:
        with pytest.raises(FabricOperationFailed) as for_cause:
            fabric.update_definition("w-1", "i-1", NOTEBOOK)
        sent_for_cause = len(server.seen)
        with pytest.raises(FabricOperationFailed) as passing:
            fabric.update_definition("w-1", "i-1", NOTEBOOK)

    assert for_cause.value.error_code == "CorruptedPayload"
    assert sent_for_cause == 2  # the update and its one poll
    assert passing.value.error_code == "UnknownError"
    assert len(server.seen) - sent_for_cause == 3 * 2  # three updates, each polled once


# --- the Fabric URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://api.fabric.microsoft.com", "https://api.fabric.microsoft.com/v1"),
        ("https://api.fabric.microsoft.com/", "https://api.fabric.microsoft.com/v1"),
        ("https://api.fabric.microsoft.com/v1", "https://api.fabric.microsoft.com/v1"),
        ("https://api.fabric.microsoft.com/v1/", "https://api.fabric.microsoft.com/v1"),
        (" http://127.0.0.1:5000/v1 ", "http://127.0.0.1:5000/v1"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000/v1"),
        ("https://proxy.example/fabric/v1", "https://proxy.example/fabric/v1"),
    ],
)
def test_the_root_url_and_the_rest_base_name_the_same_base(given: str, base: str) -> None:
    assert fabric_api_base(given) == base


@pytest.mark.parametrize(
    "given", ["https://alice:pa55word-xyz@api.fabric.microsoft.com/v1", "https://pa55word-xyz@api.fabric.microsoft.com"]
)
def test_credentials_in_the_url_are_refused_without_being_repeated(given: str) -> None:
    with pytest.raises(ValueError, match="credentials") as raised:
        fabric_api_base(given)

    assert "pa55word-xyz" not in str(raised.value)
    assert "alice" not in str(raised.value)


@pytest.mark.parametrize("given", ["api.fabric.microsoft.com", "ftp://api.fabric.microsoft.com", "http://host:port/v1"])
def test_what_is_not_an_http_url_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="Fabric URL"):
        fabric_api_base(given)
