"""`FabricHttpClient`: one shared `httpx.Client`, with every resilience rule in one place.

Each attempt: shared throttle gate -> client-side rate limit -> room on the wire (adaptive
concurrency) -> bearer token -> circuit breaker -> connection -> the gate again, last, as the request
headers go out -> send -> trace -> translate. A 429 closes the gate the moment its status line is read,
before its connection goes back to the pool, so no worker can send on that connection, or pass the
last check, before `Retry-After` has elapsed (ADR 0016). tenacity repeats what is safe to repeat:

- not sent (no connection, connect timeout): always;
- no answer or 5xx/408: only when the caller says the request is idempotent (a create is not:
  the gateway looks the object up before repeating it);
- 429: after the gate's `Retry-After` wait, within a total throttling budget;
- 401 `TokenExpired`: once, with a freshly fetched token (the expired one is dropped for every
  worker): a fresh token refused again means the credential is broken, and repeating cannot help.
  Without a credential (a loopback emulator) no token was sent, so none can have expired: the answer
  is a test double's transient fault, repeated like a 5xx.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import tenacity

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.auth import TokenProvider, is_loopback
from fabctl.adapters.fabric.http.circuit import CircuitBreaker
from fabctl.adapters.fabric.http.concurrency import AdaptiveConcurrency
from fabctl.adapters.fabric.http.errors import (
    FabricCircuitOpen,
    FabricRequestNotSent,
    FabricResponseUnreadable,
    FabricServerError,
    FabricThrottled,
    FabricUnauthorized,
)
from fabctl.adapters.fabric.http.span_url import redacted_url
from fabctl.adapters.fabric.http.throttle import RateLimiter, ThrottleGate
from fabctl.adapters.fabric.http.trace import HttpTrace
from fabctl.adapters.fabric.http.urls import fabric_api_base
from fabctl.application.ports import Telemetry

DEFAULT_BASE_URL = "https://api.fabric.microsoft.com/v1"
MAX_CONNECTIONS = 128  # more callers than this wait for a free connection
# httpcore's trace events around writing a request's headers: just before the first byte, and after.
SENDING_HEADERS = "http11.send_request_headers.started"
HEADERS_SENT = frozenset({"http11.send_request_headers.complete", "http11.send_request_headers.failed"})


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying. Backoff doubles from `backoff_s` up to `backoff_max_s`, with jitter."""

    max_retries: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    throttle_budget_s: float = 300.0  # total Retry-After waiting per call before giving up
    throttle_default_s: float = 10.0  # when a 429 carries no Retry-After
    max_throttle_retries: int = 50


@dataclass
class _Call:
    """What one logical call has used up across its attempts."""

    idempotent: bool
    transient_failures: int = 0
    throttle_retries: int = 0
    throttled_s: float = 0.0
    token: str = ""
    token_refreshes: int = 0


class StreamedJson(Protocol):
    """A JSON request body produced while it is sent, of a length known before (a definition upload)."""

    def __iter__(self) -> Iterator[bytes]: ...

    def __len__(self) -> int: ...


class FabricHttpClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        tokens: TokenProvider | None = None,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        gate: ThrottleGate | None = None,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        width: AdaptiveConcurrency | None = None,
        trace: HttpTrace | None = None,
        user_agent: str = "fabctl",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.base_url = fabric_api_base(base_url)  # the root is accepted too; credentials in it are not
        self._tokens = tokens
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._gate = gate or ThrottleGate(clock=clock, sleep=sleep)
        self._limiter = limiter
        self._breaker = breaker or CircuitBreaker(clock=clock)
        self._width = width or AdaptiveConcurrency()
        self._trace = trace
        self._telemetry = telemetry
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
            # Keep as many connections alive as may be in use: with httpx's default of 20, dozens of
            # deploy workers would close and reopen connections on every call.
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            trust_env=not is_loopback(self.base_url),  # a proxy from the environment cannot reach our loopback
            event_hooks={"response": [self._on_response]},
        )

    def close(self) -> None:
        self._http.close()
        if self._trace is not None:
            self._trace.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        stream: StreamedJson | None = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """A 2xx response, or the taxonomy error once retrying is over. `url` may be absolute.

        The body is `json`, or `stream` (sent anew by each attempt).
        """
        call = _Call(idempotent=idempotent)
        retrying = tenacity.Retrying(
            sleep=self._pause,
            retry=tenacity.retry_if_exception(lambda e: self._should_retry(e, call)),
            wait=lambda state: self._delay(state, call),
            stop=tenacity.stop_never,  # _should_retry owns the limits: they differ per failure kind
            reraise=True,
        )
        try:
            response: httpx.Response = retrying(self._attempt, method, url, json, stream, params, call)
        finally:
            if self._telemetry is not None and call.throttled_s > 0:
                waited = call.throttled_s
                self._telemetry.record("fabctl.fabric.throttle.wait", waited, **{"http.request.method": method})
        return response

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)

    def _attempt(
        self,
        method: str,
        url: str,
        body: Any,
        stream: StreamedJson | None,
        params: Mapping[str, str] | None,
        call: _Call,
    ) -> httpx.Response:
        full_url = url if "://" in url else f"{self.base_url}/{url.lstrip('/')}"
        call.throttled_s += self._gate.wait()  # before taking a connection or a place: waiting holds neither
        if self._limiter is not None and self._limiter.acquire() > 0:
            call.throttled_s += self._gate.wait()
        episode = self._width.acquire()
        status: int | None = None
        try:
            response = self._send(method, url, full_url, body, stream, params, call)
            status = response.status_code
        finally:
            self._width.release(episode, status)
        if response.is_success:
            return response
        raise responses.http_error(response)  # a 429 has closed the gate already (_on_response)

    def _send(
        self,
        method: str,
        url: str,
        full_url: str,
        body: Any,
        stream: StreamedJson | None,
        params: Mapping[str, str] | None,
        call: _Call,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if self._tokens is not None:
            call.token = self._tokens.token()
            headers["Authorization"] = f"Bearer {call.token}"
        if stream is not None:  # its length, or httpx would send it chunked
            headers.update({"Content-Type": "application/json", "Content-Length": str(len(stream))})
        self._breaker.before_call(method, full_url)  # a half-open probe must end in an outcome
        started = self._clock()
        try:
            with self._span(method, full_url, params, call) as span:
                response = self._http.request(
                    method,
                    url,
                    json=body,
                    content=stream,
                    params=params,
                    headers=headers,
                    extensions={"trace": self._last_check(call)},
                )
                span["http.response.status_code"] = response.status_code
        except httpx.TransportError as e:
            self._breaker.record_failure()
            error = responses.transport_error(e, method, full_url)
            self._record(method, full_url, _request_of(e), None, started, call, str(error))
            raise error from e
        except BaseException:
            self._breaker.record_failure()
            raise
        _release(response)
        failed = response.status_code == 408 or response.status_code >= 500
        if failed:
            self._breaker.record_failure()
        else:
            self._breaker.record_success()
        self._record(method, full_url, response.request, response, started, call)
        _forget_sent_body(response)
        return response

    def _span(
        self, method: str, full_url: str, params: Mapping[str, str] | None, call: _Call
    ) -> AbstractContextManager[dict[str, str | int]]:
        """A client span around one exchange (each retry is one more: `http.request.resend_count`)."""
        if self._telemetry is None:
            return nullcontext({})
        attempt = call.transient_failures + call.throttle_retries + call.token_refreshes
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "url.full": redacted_url(full_url, params),
            "server.address": httpx.URL(full_url).host,
            "http.request.resend_count": attempt,
        }
        return self._telemetry.span(method, **attributes)

    def _last_check(self, call: _Call) -> Callable[[str, Mapping[str, Any]], None]:
        """httpcore's trace hook: the gate once more, on the connection, as the request headers go out.

        Between the first check and this point a worker waited for a place and a connection; a 429 read
        meanwhile (maybe on the very connection this request got) must hold it too. The gate stays held
        open until the headers are written (or failed), so a 429 cannot be read between check and send.
        """

        def check(event: str, _info: Mapping[str, Any]) -> None:
            if event == SENDING_HEADERS:
                call.throttled_s += self._gate.start_sending()
            elif event in HEADERS_SENT:
                self._gate.done_sending()

        return check

    def _on_response(self, response: httpx.Response) -> None:
        """httpx's response hook: runs once the status line and headers are read, before the body is, and so
        before the connection is back in the pool for another worker."""
        if response.status_code == 429:
            if self._telemetry is not None:
                self._telemetry.count("fabctl.fabric.throttled", 1, **{"http.request.method": response.request.method})
            wait = responses.retry_after_s(response)
            self._gate.block_for(self._retry.throttle_default_s if wait is None else wait)

    def _should_retry(self, error: BaseException, call: _Call) -> bool:
        policy = self._retry
        if isinstance(error, FabricCircuitOpen):
            return False
        if isinstance(error, FabricThrottled):
            call.throttle_retries += 1
            within_budget = call.throttled_s + self._gate.remaining() <= policy.throttle_budget_s
            return within_budget and call.throttle_retries <= policy.max_throttle_retries
        if isinstance(error, FabricUnauthorized):
            if error.error_code != "TokenExpired":
                return False
            call.token_refreshes += 1
            if self._tokens is None:  # no token was sent: nothing to refresh (see the module docstring)
                return call.token_refreshes <= policy.max_retries
            self._tokens.invalidate(call.token)
            return call.token_refreshes <= 1
        ambiguous = isinstance(error, FabricResponseUnreadable | FabricServerError)
        if isinstance(error, FabricRequestNotSent) or (ambiguous and call.idempotent):
            call.transient_failures += 1
            return call.transient_failures <= policy.max_retries
        return False

    def _delay(self, state: tenacity.RetryCallState, call: _Call) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, FabricThrottled | FabricUnauthorized):
            return 0.0  # the gate holds the retry for exactly Retry-After; a new token needs no wait
        return self.backoff(call.transient_failures, getattr(error, "retry_after_s", None))

    def backoff(self, failures: int, retry_after: float | None = None) -> float:
        """Capped exponential backoff with equal jitter; a server's Retry-After is a floor."""
        policy = self._retry
        ceiling = min(policy.backoff_max_s, policy.backoff_s * 2.0 ** max(0, failures - 1))
        delay: float = ceiling / 2 + random.uniform(0, ceiling / 2)
        floor: float = min(retry_after or 0.0, policy.backoff_max_s)
        return max(delay, floor)

    def _record(
        self,
        method: str,
        url: str,
        request: httpx.Request | None,
        response: httpx.Response | None,
        started: float,
        call: _Call,
        error: str = "",
    ) -> None:
        if self._trace is None:
            return
        self._trace.record(
            method=method,
            url=url if request is None else str(request.url),
            status=None if response is None else response.status_code,
            duration_s=self._clock() - started,
            request_id="" if response is None else responses.request_id_of(response),
            request_headers={} if request is None else dict(request.headers),
            request_body=None if request is None else _sent_content(request),
            response_body=None if response is None else response.content,
            error=error,
            attempt=1 + call.transient_failures + call.throttle_retries + call.token_refreshes,
        )


def _request_of(error: httpx.TransportError) -> httpx.Request | None:
    try:
        return error.request
    except RuntimeError:  # httpx raises when the error was not tied to a request
        return None


def _release(response: httpx.Response) -> None:
    """Break the reference cycle httpx builds around a response, whose body is already read.

    httpx binds `response.stream` to a stream that refers back to the response, so a response is freed
    only by the cyclic garbage collector. A 202 lives through seconds of operation polling, gets promoted
    to the oldest generation, and keeps its request (a whole definition) until a full collection, which
    comes rarely: memory grew with the item count (docs/benchmarks.md). A plain stream over the read
    body serves every later read and lets reference counting free the response the moment it is dropped.
    """
    response.stream = httpx.ByteStream(response.content)


def _sent_content(request: httpx.Request) -> bytes | None:
    """The body sent, for the trace; None for a streamed one (a definition: not kept to be traced)."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return None


def _forget_sent_body(response: httpx.Response) -> None:
    """Let the response forget the body it answered, once that body is traced.

    A write is answered by a 202 that the caller holds for the whole long-running operation
    (seconds): through `response.request` it would hold what was sent too, a whole JSON body or the
    stream of a definition. Only the method, URL and headers of the request are read after this
    (error messages); a retry sends the body it was given again, not this one.
    """
    sent = response.request
    if sent.method != "GET":
        response.request = httpx.Request(sent.method, sent.url, headers=sent.headers)
