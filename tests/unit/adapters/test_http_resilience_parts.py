"""The parts the httpx Fabric gateway is built from, each on its own: the shared throttle gate,
the client-side rate limiter, the circuit breaker, the token provider and the HTTP trace.

Time is injected (a clock and a sleep that only move when the test says so), so nothing here
waits for real. The few HTTP checks talk to a scripted server on a real 127.0.0.1 socket.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from scripted_server import Answer, ScriptedServer, scripted_servers
from stepping_clock import SteppingClock

from fabctl.adapters.fabric.http.auth import FABRIC_SCOPE, TokenProvider, is_loopback
from fabctl.adapters.fabric.http.circuit import CircuitBreaker, CircuitState
from fabctl.adapters.fabric.http.errors import (
    FabricCircuitOpen,
    FabricCredentialRequired,
    FabricOperationFailed,
    FabricRequestNotSent,
    FabricResponseUnreadable,
    FabricUnauthorized,
)
from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.adapters.fabric.http.operations import OperationPoller
from fabctl.adapters.fabric.http.paging import iterate_pages
from fabctl.adapters.fabric.http.throttle import RateLimiter, ThrottleGate
from fabctl.adapters.fabric.http.trace import HttpTrace
from fabctl.adapters.fabric.http.transport import FabricHttpClient, RetryPolicy

# --- time that moves only when told to ------------------------------------------------------------


class ManualClock:
    """Shared fake time for threads: a sleeper wakes only once the test has advanced the clock enough."""

    def __init__(self) -> None:
        self._now = 0.0
        self._changed = threading.Condition()
        self.sleep_calls = 0

    def __call__(self) -> float:
        with self._changed:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._changed:
            wake_at = self._now + seconds
            self.sleep_calls += 1
            self._changed.notify_all()
            assert self._changed.wait_for(lambda: self._now >= wake_at, timeout=10)

    def advance(self, seconds: float) -> None:
        with self._changed:
            self._now += seconds
            self._changed.notify_all()

    def await_sleep_calls(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.sleep_calls >= count, timeout=10)


# --- ThrottleGate ---------------------------------------------------------------------------------


def test_a_throttle_block_holds_every_worker_until_the_deadline_even_when_it_is_extended() -> None:
    clock = ManualClock()
    gate = ThrottleGate(clock=clock, sleep=clock.sleep)
    passed: list[tuple[str, float]] = []
    gate.block_for(10)  # a 429 with Retry-After: 10 at t=0

    def worker(name: str) -> None:
        gate.wait()
        passed.append((name, clock()))

    workers = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in workers:
        thread.start()
    clock.await_sleep_calls(2)  # both are waiting at the gate

    clock.advance(5)
    gate.block_for(10)  # another worker's 429 at t=5: the deadline moves to t=15
    clock.advance(5)  # t=10: the first deadline has passed, the second has not
    clock.await_sleep_calls(4)  # both woke, saw the later deadline and sleep again
    assert passed == []

    clock.advance(5)  # t=15
    for thread in workers:
        thread.join(timeout=10)
    assert sorted(passed) == [("a", 15.0), ("b", 15.0)]


def test_an_open_gate_does_not_wait_and_a_shorter_block_never_shortens_a_longer_one() -> None:
    clock = SteppingClock()
    gate = ThrottleGate(clock=clock, sleep=clock.sleep)

    assert gate.wait() == 0
    gate.block_for(30)
    gate.block_for(5)

    assert gate.wait() == 30
    assert clock.sleeps == [30]


# --- RateLimiter ----------------------------------------------------------------------------------


def test_the_rate_limiter_starts_at_most_burst_plus_the_budget_in_a_minute() -> None:
    clock = SteppingClock(start=0.0)
    limiter = RateLimiter(30, burst=3, clock=clock, sleep=clock.sleep)

    starts = []
    while clock() < 60:
        limiter.acquire()
        starts.append(clock())

    # 3 at once from the full bucket, then one every 60/30 = 2 s: t = 2, 4, ..., 58, and 60 (outside).
    assert starts[:3] == [0.0, 0.0, 0.0]
    assert starts[3:5] == [2.0, 4.0]
    assert len([t for t in starts if t < 60]) == 3 + 29


def test_the_rate_limiter_refills_while_idle_but_never_beyond_its_burst() -> None:
    clock = SteppingClock(start=0.0)
    limiter = RateLimiter(60, burst=2, clock=clock, sleep=clock.sleep)

    clock.now = 600.0  # ten idle minutes
    waits = [limiter.acquire() for _ in range(3)]

    assert waits == [0.0, 0.0, 1.0]


# --- CircuitBreaker -------------------------------------------------------------------------------


def test_the_circuit_opens_after_consecutive_failures_probes_once_after_the_cooldown_and_closes_on_success() -> None:
    clock = SteppingClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)

    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    breaker.record_success()  # an answer resets the count
    for _ in range(3):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(FabricCircuitOpen) as raised:
        breaker.before_call("GET", "https://api.example/v1/workspaces")
    assert isinstance(raised.value, FabricRequestNotSent)
    assert "GET https://api.example/v1/workspaces" in str(raised.value)

    clock.now += 10
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.before_call()  # the probe
    with pytest.raises(FabricCircuitOpen):
        breaker.before_call()  # everyone else still fails fast
    breaker.record_failure()  # the probe failed: open for another cool-down
    with pytest.raises(FabricCircuitOpen):
        breaker.before_call()

    clock.now += 10
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    breaker.before_call()  # two failures after closing are below the threshold


# --- TokenProvider --------------------------------------------------------------------------------


class FakeCredential:
    """An azure-core TokenCredential issuing numbered tokens valid for `lifetime_s`."""

    def __init__(self, clock: Callable[[], float], lifetime_s: int = 3600) -> None:
        self._clock = clock
        self._lifetime = lifetime_s
        self.requests: list[tuple[str, ...]] = []

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.requests.append(scopes)
        return AccessToken(f"token-{len(self.requests)}", int(self._clock()) + self._lifetime)


def test_a_token_is_fetched_once_for_the_fabric_scope_and_reused() -> None:
    clock = SteppingClock(start=1_700_000_000)
    credential = FakeCredential(clock)
    tokens = TokenProvider(credential, clock=clock)

    assert [tokens.token() for _ in range(3)] == ["token-1"] * 3
    assert credential.requests == [("https://api.fabric.microsoft.com/.default",)]
    assert FABRIC_SCOPE == "https://api.fabric.microsoft.com/.default"


def test_a_token_is_refreshed_the_margin_before_it_expires() -> None:
    clock = SteppingClock(start=1_700_000_000)
    tokens = TokenProvider(FakeCredential(clock, lifetime_s=3600), refresh_margin_s=60, clock=clock)
    tokens.token()

    clock.now += 3600 - 61
    assert tokens.token() == "token-1"
    clock.now += 1  # 60 s before expiry
    assert tokens.token() == "token-2"


def test_a_token_reported_expired_is_dropped_once_even_when_several_workers_report_it() -> None:
    clock = SteppingClock(start=1_700_000_000)
    tokens = TokenProvider(FakeCredential(clock), clock=clock)
    expired = tokens.token()

    tokens.invalidate(expired)
    fresh = tokens.token()
    tokens.invalidate(expired)  # a second worker saw the same 401 on the old token

    assert (expired, fresh, tokens.token()) == ("token-1", "token-2", "token-2")


def test_only_a_loopback_url_may_be_called_without_a_credential() -> None:
    assert is_loopback("http://127.0.0.1:8080/v1")
    assert is_loopback("http://localhost:1/v1")
    assert is_loopback("http://[::1]:9/v1")
    assert not is_loopback("https://api.fabric.microsoft.com/v1")
    assert not is_loopback("https://127.0.0.1.example.com/v1")

    HttpxFabricGateway("http://127.0.0.1:9/v1").close()
    with pytest.raises(FabricCredentialRequired) as raised:
        HttpxFabricGateway("https://api.fabric.microsoft.com/v1")
    assert "needs a credential" in str(raised.value)


# --- HttpTrace ------------------------------------------------------------------------------------


def test_the_trace_never_writes_the_authorization_header_or_a_configured_secret(tmp_path: Path) -> None:
    trace = HttpTrace(tmp_path / "trace.jsonl", secrets=["hunter2-secret"], max_body_chars=40)
    trace.record(
        method="POST",
        url="https://api.fabric.microsoft.com/v1/workspaces?key=hunter2-secret",
        status=201,
        duration_s=0.25,
        request_id="5d2b3c4e-0000-4000-8000-000000000001",
        request_headers={"Authorization": "Bearer eyJ.token.value", "Content-Type": "application/json"},
        request_body=b'{"password": "hunter2-secret", "note": "' + b"x" * 100 + b'"}',
        response_body=b'{"id": "1"}',
    )
    trace.close()

    text = (tmp_path / "trace.jsonl").read_text()
    [entry] = [json.loads(line) for line in text.splitlines()]
    assert "eyJ.token.value" not in text
    assert "hunter2" not in text
    assert entry["requestHeaders"] == {"Authorization": "***", "Content-Type": "application/json"}
    assert entry["url"] == "https://api.fabric.microsoft.com/v1/workspaces?key=***"
    assert (entry["method"], entry["status"], entry["durationMs"]) == ("POST", 201, 250.0)
    assert entry["requestId"] == "5d2b3c4e-0000-4000-8000-000000000001"
    assert entry["requestBody"].startswith('{"password": "***", "note": "xxx')
    assert entry["requestBody"].endswith("more chars]")
    assert entry["responseBody"] == '{"id": "1"}'


# --- the transport over a real socket -------------------------------------------------------------


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    yield from scripted_servers()


TOKEN_EXPIRED = (
    401,
    {"x-ms-public-api-error-code": "TokenExpired", "RequestId": "11111111-2222-4333-8444-555555555555"},
    {"errorCode": "TokenExpired", "message": "Access token has expired"},
)


def test_a_401_token_expired_is_answered_by_one_refresh_and_a_retry(
    scripted: Callable[..., ScriptedServer], tmp_path: Path
) -> None:
    server = scripted([TOKEN_EXPIRED, (200, {}, {"value": []})])
    clock = SteppingClock(start=1_700_000_000)
    tokens = TokenProvider(FakeCredential(clock), clock=clock)
    trace = HttpTrace(tmp_path / "trace.jsonl")
    client = FabricHttpClient(server.url, tokens=tokens, trace=trace, sleep=clock.sleep, clock=clock)

    response = client.request("GET", "workspaces")
    client.close()

    assert response.json() == {"value": []}
    assert [seen["headers"]["Authorization"] for seen in server.seen] == ["Bearer token-1", "Bearer token-2"]
    trace_text = (tmp_path / "trace.jsonl").read_text()
    assert "token-1" not in trace_text
    assert "token-2" not in trace_text
    assert [json.loads(line)["status"] for line in trace_text.splitlines()] == [401, 200]


def test_a_fresh_token_refused_as_expired_again_is_not_retried_and_the_401_is_raised_with_the_header_code(
    scripted: Callable[..., ScriptedServer],
) -> None:
    # The second 401 has no body at all: the header alone names the error (REST reference §2).
    bodiless = (401, {"x-ms-public-api-error-code": "TokenExpired", "RequestId": "aaaa-1"}, None)
    server = scripted([TOKEN_EXPIRED, bodiless, (200, {}, {"value": []})])
    clock = SteppingClock(start=1_700_000_000)
    client = FabricHttpClient(
        server.url,
        tokens=TokenProvider(FakeCredential(clock), clock=clock),
        retry=RetryPolicy(max_retries=5),
        sleep=clock.sleep,
        clock=clock,
    )

    with pytest.raises(FabricUnauthorized) as raised:
        client.request("GET", "workspaces")
    client.close()

    assert (raised.value.error_code, raised.value.request_id, raised.value.status) == ("TokenExpired", "aaaa-1", 401)
    # One refresh and one retry, though max_retries would allow five: a fresh token refused is a broken credential.
    assert [seen["headers"]["Authorization"] for seen in server.seen] == ["Bearer token-1", "Bearer token-2"]


def test_without_a_credential_a_token_expired_answer_is_repeated_like_a_passing_failure(
    scripted: Callable[..., ScriptedServer],
) -> None:
    # A loopback emulator is called without a token, so there is none to refresh: its TokenExpired is
    # an injected fault, repeated within max_retries.
    server = scripted([TOKEN_EXPIRED, TOKEN_EXPIRED, (200, {}, {"value": []})])
    clock = SteppingClock()
    client = FabricHttpClient(server.url, retry=RetryPolicy(max_retries=2), sleep=clock.sleep, clock=clock)

    response = client.request("GET", "workspaces")
    client.close()

    assert response.json() == {"value": []}
    assert len(server.seen) == 3
    assert all("Authorization" not in seen["headers"] for seen in server.seen)


def test_a_401_other_than_token_expired_is_not_retried(scripted: Callable[..., ScriptedServer]) -> None:
    unauthorized: Answer = (401, {}, {"errorCode": "Unauthorized", "message": "The caller is not authorized"})
    server = scripted([unauthorized])
    clock = SteppingClock(start=1_700_000_000)
    client = FabricHttpClient(server.url, tokens=TokenProvider(FakeCredential(clock), clock=clock), sleep=clock.sleep)

    with pytest.raises(FabricUnauthorized) as raised:
        client.request("GET", "workspaces")
    client.close()

    assert raised.value.error_code == "Unauthorized"
    assert len(server.seen) == 1


def test_a_429_blocks_the_gate_for_retry_after_before_the_one_retry(scripted: Callable[..., ScriptedServer]) -> None:
    throttled = (429, {"Retry-After": "7", "x-ms-public-api-error-code": "RequestBlocked"}, None)
    server = scripted([throttled, (200, {}, {"value": []})])
    clock = SteppingClock()
    client = FabricHttpClient(server.url, sleep=clock.sleep, clock=clock, retry=RetryPolicy(backoff_s=0.01))

    client.request("GET", "workspaces")
    client.close()

    assert clock.sleeps == [7.0]
    assert len(server.seen) == 2


def test_an_answer_of_another_shape_is_unreadable_and_names_the_call(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([(200, {"RequestId": "bbbb-2"}, {"unexpected": True})])

    with HttpxFabricGateway(server.url, max_retries=0) as gateway, pytest.raises(FabricResponseUnreadable) as raised:
        gateway.get_workspace("5e6f")

    error = raised.value
    assert (error.method, error.url, error.status, error.request_id) == (
        "GET",
        f"{server.url}/workspaces/5e6f",
        200,
        "bbbb-2",
    )
    assert "id" in error.message


def test_paging_stops_at_null_continuations_and_sends_the_token_back_encoded(
    scripted: Callable[..., ScriptedServer],
) -> None:
    token = "LDEsMTAwMDAwLDA="  # base64 with padding: must be URL-encoded on the way back
    first = {"value": [{"n": 1}], "continuationToken": token, "continuationUri": "ignored-when-a-token-is-given"}
    last = {"value": [{"n": 2}], "continuationToken": None, "continuationUri": None}
    server = scripted([(200, {}, first), (200, {}, last)])
    client = FabricHttpClient(server.url)

    elements = list(iterate_pages(client, "workspaces", {"roles": "Admin"}))
    client.close()

    assert elements == [{"n": 1}, {"n": 2}]
    assert [seen["path"] for seen in server.seen] == [
        "/v1/workspaces?roles=Admin",
        "/v1/workspaces?roles=Admin&continuationToken=LDEsMTAwMDAwLDA%3D",
    ]


def test_an_operation_is_polled_after_each_retry_after_and_its_result_read_only_when_known_to_exist(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted([])
    operation = f"{server.url}/operations/6a1b"
    accepted = (202, {"Location": operation, "x-ms-operation-id": "6a1b", "Retry-After": "3"}, None)
    running = (200, {"Location": operation, "Retry-After": "2"}, {"status": "Running", "error": None})
    succeeded: Answer = (200, {}, {"status": "Succeeded", "percentComplete": 100, "error": None})
    result: Answer = (200, {}, {"definition": {"parts": []}})
    server.script.extend([accepted, running, succeeded, accepted, succeeded, result])
    clock = SteppingClock()
    client = FabricHttpClient(server.url, sleep=clock.sleep, clock=clock)
    poller = OperationPoller(client, deadline_s=60, clock=clock, sleep=clock.sleep)

    without_result = poller.finish(client.request("POST", "items/1/updateDefinition"), has_result=False)
    with_result = poller.finish(client.request("POST", "items/1/getDefinition"), has_result=True)
    client.close()

    assert without_result is None
    assert with_result is not None
    assert with_result.json() == {"definition": {"parts": []}}
    assert clock.sleeps == [3.0, 2.0, 3.0]
    assert [seen["path"] for seen in server.seen] == [
        "/v1/items/1/updateDefinition",
        "/v1/operations/6a1b",
        "/v1/operations/6a1b",
        "/v1/items/1/getDefinition",
        "/v1/operations/6a1b",
        "/v1/operations/6a1b/result",
    ]


def test_an_operation_that_fails_raises_its_own_error_code(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted([])
    accepted = (202, {"Location": f"{server.url}/operations/7c2d", "x-ms-operation-id": "7c2d"}, None)
    failed_state = {
        "status": "Failed",
        "error": {"errorCode": "CorruptedPayload", "message": "The payload is corrupted", "isRetriable": False},
    }
    server.script.extend([accepted, (200, {"RequestId": "cccc-3"}, failed_state)])
    clock = SteppingClock()
    client = FabricHttpClient(server.url, sleep=clock.sleep, clock=clock)

    with pytest.raises(FabricOperationFailed) as raised:
        OperationPoller(client, clock=clock, sleep=clock.sleep).finish(client.request("POST", "x"), has_result=True)
    client.close()

    error = raised.value
    assert (error.error_code, error.message, error.operation_id) == (
        "CorruptedPayload",
        "The payload is corrupted",
        "7c2d",
    )
    assert error.request_id == "cccc-3"
