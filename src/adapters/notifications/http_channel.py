"""Sends notifications over HTTP with httpx, retrying with tenacity what may pass later.

The shape of the Fabric gateway's policy (src/adapters/fabric/http/transport.py), smaller: a 429, a 5xx and a
request that never got an answer (connection refused, timeout) are tried again, after `Retry-After` when the
answer gives one (capped), else after an exponential back-off; any other answer is final. After the last
attempt, `NotificationNotDelivered` names the status or the failure's kind: never the URL, which for a Teams
workflow carries its signature, nor any key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from fabctl.adapters.notifications.bodies import CLOUDEVENT_CONTENT_TYPE, cloudevent_body, teams_body
from fabctl.adapters.notifications.references import UnresolvedReference, resolve
from fabctl.application.notifier import Notification, NotificationNotDelivered

SIGNATURE_HEADER = "X-Fabctl-Signature"


@dataclass(frozen=True)
class DeliveryPolicy:
    # The patient policy, for `fabctl notify retry`, whose job the delivery is.
    attempts: int = 3  # the first and two retries
    backoff_s: float = 1.0  # 1, 2 ... seconds between attempts
    max_wait_s: float = 10.0  # neither a back-off nor a Retry-After waits longer than this
    timeout_s: float = 5.0  # connect, write and read, each


# Inside the command that relays its own events: one attempt, a short timeout. A subscriber that is away
# delays the command's end (never fails it) by about this timeout; its dead letter waits for `notify retry`.
IN_COMMAND = DeliveryPolicy(attempts=1, timeout_s=2.0)


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class _Final(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HttpxNotificationChannel:
    def __init__(
        self,
        read_secret: Callable[[str], str],
        policy: DeliveryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = tenacity.nap.sleep,
    ) -> None:
        self._read_secret = read_secret  # a `$secret:NAME`'s value, by NAME
        self._policy = policy or DeliveryPolicy()
        self._client = client or httpx.Client(timeout=self._policy.timeout_s, follow_redirects=False)
        self._sleep = sleep
        self._redactor = _UrlRedactor()
        for name in ("httpx", "httpcore"):  # httpx logs every request's URL at INFO
            logging.getLogger(name).addFilter(self._redactor)

    def close(self) -> None:
        self._client.close()

    def send(self, notification: Notification) -> None:
        subscription = notification.subscription
        try:
            url = resolve(subscription.url, self._read_secret)
            key = resolve(subscription.signing_key, self._read_secret) if subscription.signing_key else ""
        except UnresolvedReference as e:
            raise NotificationNotDelivered(f"url or signing key: {e}", attempts=0) from None
        self._redactor.hide(url)
        body, content_type = self._body(notification)
        headers = {"content-type": content_type}
        if key:
            headers[SIGNATURE_HEADER] = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self._policy.attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(self._post, url, body, headers)
        except _Retryable as e:
            raise NotificationNotDelivered(e.reason, attempts=self._policy.attempts) from None
        except _Final as e:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise NotificationNotDelivered(e.reason, attempts=attempts) from None

    def _body(self, notification: Notification) -> tuple[bytes, str]:
        if notification.subscription.kind == "teams":
            document: dict[str, Any] = teams_body(notification)
            content_type = "application/json"
        else:
            document, content_type = cloudevent_body(notification), CLOUDEVENT_CONTENT_TYPE
        return json.dumps(document, separators=(",", ":")).encode(), content_type

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TransportError as e:  # never answered: refused, reset, timed out
            raise _Retryable(f"no answer ({type(e).__name__})") from None
        except httpx.HTTPError as e:  # an unusable URL: never tried again
            raise _Final(f"not sent ({type(e).__name__})") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after_s(response))
        raise _Final(f"HTTP {status}")

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = error.retry_after_s if isinstance(error, _Retryable) else None
        backoff = self._policy.backoff_s * 2 ** (state.attempt_number - 1)
        return min(hinted if hinted is not None else backoff, self._policy.max_wait_s)


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date, or nothing: the back-off decides
    return max(seconds, 0.0)


class _UrlRedactor(logging.Filter):
    """Puts a placeholder where a subscriber's URL would appear in a library's log record."""

    def __init__(self) -> None:
        super().__init__()
        self._urls: set[str] = set()

    def hide(self, url: str) -> None:
        self._urls.add(url)
        with contextlib.suppress(httpx.InvalidURL):  # how httpx prints it: default ports dropped, escapes normalised
            self._urls.add(str(httpx.URL(url)))

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(url in text for url in self._urls):
            for url in self._urls:
                text = text.replace(url, "<webhook url>")
            record.msg, record.args = text, None
        return True
