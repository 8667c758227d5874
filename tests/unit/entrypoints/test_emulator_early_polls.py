"""The emulator refuses a poll that comes sooner than its operation asked (ADR 0029), on a clock the test
moves by hand: `OperationStore(monotonic=...)`, and an `EmulatorApp` given that store, called without a
socket. No test here sleeps; every "later" is the fake clock set forward.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.entrypoints.emulator.app import EmulatorApp
from fabctl.entrypoints.emulator.messages import Request, Response
from fabctl.entrypoints.emulator.operations import OperationStore
from fabctl.entrypoints.emulator.options import EmulatorOptions

FLOOR = 20  # the recorded Retry-After of a create


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> OperationStore:
    return OperationStore(monotonic=clock)


# --- the rule, on the store ---------------------------------------------------------------------------


def test_a_poll_before_the_floor_has_elapsed_is_early_by_the_whole_seconds_left(
    store: OperationStore, clock: Clock
) -> None:
    operation = store.start(1.0, result={"id": "x"}, retry_floor=FLOOR)
    waits = []
    for elapsed in (0.0, 0.5, 19.2, 19.999, 20.0, 25.0):
        clock.now = operation.started + elapsed
        waits.append(store.early_poll_wait(operation.id))

    assert waits == [20, 20, 1, 1, None, None]


def test_a_refused_poll_neither_resets_nor_extends_the_wait(store: OperationStore, clock: Clock) -> None:
    operation = store.start(1.0, retry_floor=FLOOR)
    for elapsed in (1.0, 5.0, 10.0, 15.0):  # a client polling every 5 s, refused each time
        clock.now = operation.started + elapsed
        assert store.early_poll_wait(operation.id) is not None

    clock.now = operation.started + FLOOR
    assert store.early_poll_wait(operation.id) is None


def test_an_answer_that_finds_the_operation_running_starts_the_wait_again(store: OperationStore, clock: Clock) -> None:
    operation = store.start(100.0, retry_floor=FLOOR)  # runs longer than its floor
    clock.now = operation.started + FLOOR
    polled, answered_at = store.poll(operation.id)
    assert polled.status(answered_at) == "Running"

    clock.now = answered_at + 5
    assert store.early_poll_wait(operation.id) == FLOOR - 5
    clock.now = answered_at + FLOOR
    assert store.early_poll_wait(operation.id) is None


def test_only_the_floor_is_enforced_not_a_longer_retry_after_from_the_remaining_time(
    store: OperationStore, clock: Clock
) -> None:
    operation = store.start(60.0, retry_floor=FLOOR)
    assert operation.retry_after(operation.started) == "60"  # what the 202 says

    clock.now = operation.started + FLOOR
    assert store.early_poll_wait(operation.id) is None


def test_an_answer_that_finds_the_operation_ended_asks_for_no_wait(store: OperationStore, clock: Clock) -> None:
    operation = store.start(1.0, result={"id": "x"}, retry_floor=FLOOR)
    clock.now = operation.started + FLOOR
    polled, answered_at = store.poll(operation.id)
    assert polled.status(answered_at) == "Succeeded"

    clock.now = answered_at + 0.1  # the /result fabric-cicd and fabctl read next, at once
    assert store.early_poll_wait(operation.id) is None


def test_an_operation_without_a_floor_is_never_polled_early(store: OperationStore, clock: Clock) -> None:
    operation = store.start(10.0, retry_floor=0)  # the fast profile, getDefinition, updateDefinition
    store.poll(operation.id)

    assert store.early_poll_wait(operation.id) is None


def test_an_unknown_or_forgotten_operation_is_not_early(store: OperationStore) -> None:
    operation = store.start(1.0, retry_floor=FLOOR)
    store.clear()

    assert store.early_poll_wait(operation.id) is None
    assert store.early_poll_wait("6b0f7f0e-0000-4000-8000-000000000000") is None


# --- the rule, through the app: the 429, the knob, the counters ------------------------------------------


@pytest.fixture
def tenant() -> Iterator[FabricTenant]:
    with FabricTenant.in_memory() as opened:
        yield opened


def _app(tenant: FabricTenant, store: OperationStore, **knobs: Any) -> EmulatorApp:
    options = EmulatorOptions(lro_ms=1000, create_retry_after_s=FLOOR, **knobs)
    return EmulatorApp(tenant, options, operations=store)


def _request(method: str, path: str, body: Any = None) -> Request:
    data = b"" if body is None else json.dumps(body).encode("utf-8")
    headers = {"authorization": "Bearer unit"}
    return Request(method, path, {}, headers, data, base_url="http://127.0.0.1:1", connection=1)


def _call(app: EmulatorApp, method: str, path: str, body: Any = None) -> Response:
    response = app.handle(_request(method, path, body))
    assert response is not None
    return response


def _accepted_create(app: EmulatorApp, tenant: FabricTenant) -> Response:
    workspace = tenant.create_workspace("Dev", tenant.list_capacities()[0].id)
    payload = base64.b64encode(b"print(1)\n").decode("ascii")
    part = {"path": "notebook-content.py", "payload": payload, "payloadType": "InlineBase64"}
    body = {"displayName": "Load", "type": "Notebook", "definition": {"parts": [part]}}
    accepted = _call(app, "POST", f"/v1/workspaces/{workspace.id}/items", body)
    assert (accepted.status, accepted.headers["Retry-After"]) == (202, str(FLOOR))
    return accepted


def test_an_early_poll_gets_the_throttles_429_and_a_poll_after_the_wait_is_answered(
    tenant: FabricTenant, store: OperationStore, clock: Clock
) -> None:
    app = _app(tenant, store, refuse_early_polls=True)
    operation_path = "/v1/operations/" + _accepted_create(app, tenant).headers["x-ms-operation-id"]

    clock.now += 1.5
    early = _call(app, "GET", operation_path)
    early_result = _call(app, "GET", operation_path + "/result")
    clock.now += FLOOR - 1.5
    polled = _call(app, "GET", operation_path)
    result = _call(app, "GET", operation_path + "/result")

    for refused in (early, early_result):
        body = json.loads(refused.body)
        assert refused.status == 429
        assert refused.headers["Retry-After"] == str(FLOOR - 1)  # 18.5 s left, rounded up
        assert refused.headers["x-ms-public-api-error-code"] == body["errorCode"] == "RequestBlocked"
        assert body["message"].startswith("Request is blocked by the upstream service until: ")
        assert refused.operation_wait  # a wait for this operation only: not held against the principal
    assert (polled.status, json.loads(polled.body)["status"]) == (200, "Succeeded")
    assert (result.status, json.loads(result.body)["displayName"]) == (200, "Load")
    log = app.log.to_json()
    assert (log["earlyPolls"], log["throttled"], log["earlyRetries"]) == (2, 2, 0)


def test_a_throttles_429_holds_the_principal_but_an_early_polls_429_does_not(
    tenant: FabricTenant, store: OperationStore, clock: Clock
) -> None:
    app = _app(tenant, store, refuse_early_polls=True)
    operation_path = "/v1/operations/" + _accepted_create(app, tenant).headers["x-ms-operation-id"]
    clock.now += 1.5
    request = _request("GET", operation_path)
    early = app.handle(request)
    assert early is not None and early.status == 429
    # As the server says once it began writing the 429; early.py's clock is the real monotonic one.
    app.delivered(request, early, written_at=time.monotonic())

    listed = app.handle(_request("GET", "/v1/workspaces"))  # the same principal, the same connection, at once

    assert listed is not None and listed.status == 200
    assert app.log.to_json()["earlyRetries"] == 0


def test_with_the_knob_off_the_same_early_poll_is_answered_as_before(
    tenant: FabricTenant, store: OperationStore, clock: Clock
) -> None:
    app = _app(tenant, store, refuse_early_polls=False)
    operation_path = "/v1/operations/" + _accepted_create(app, tenant).headers["x-ms-operation-id"]
    clock.now += 0.5

    polled = _call(app, "GET", operation_path)

    assert (polled.status, polled.headers["Retry-After"]) == (200, str(FLOOR))
    assert app.log.to_json()["earlyPolls"] == 0


def test_the_knob_is_set_live_and_belongs_to_the_profiles() -> None:
    options = EmulatorOptions()

    assert options.refuse_early_polls is True  # the recorded profile, the server's default
    assert options.runtime_view()["refuse_early_polls"] is True
    assert options.with_changes({"refuse_early_polls": False}).refuse_early_polls is False
    with pytest.raises(ValueError, match="refuse_early_polls must be true or false"):
        options.with_changes({"refuse_early_polls": 1})
