"""One Microsoft Graph GET: a token per request, 429 and 5xx retried (bounded, honouring Retry-After), and
Graph's refusals turned into `DirectoryUnavailable` naming what the identity lacks.

The token is asked for on every request: azure-identity caches it and renews it near its expiry, so a long
run never sends an expired one. It is never logged or kept here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from fabctl.application.errors import DirectoryUnavailable

FALLBACK = "or name the members by object id in principals.yaml (the file fallback, docs/operations.md)"


@dataclass(frozen=True)
class GraphRetry:
    attempts: int = 5  # tries per request, the first included
    max_wait_s: float = 60.0  # the most one Retry-After is honoured for; a longer one fails the request
    default_wait_s: float = 2.0  # when a 429 or 5xx names no Retry-After


class _Transient(Exception):
    def __init__(self, status: int, wait_s: float) -> None:
        super().__init__(f"Microsoft Graph answered {status}")
        self.status = status
        self.wait_s = wait_s


class GraphClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: Callable[[], str] | None,
        http: httpx.Client | None = None,
        retry: GraphRetry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_url.rstrip("/") + "/v1.0"
        self._token = token
        self._http = http or httpx.Client(timeout=30.0)
        self._retry = retry or GraphRetry()
        self._sleep = sleep

    def get(self, path_or_url: str, *, params: dict[str, str] | None = None, permission: str) -> dict[str, Any] | None:
        """The JSON object Graph answers, or None for its 404; `permission` is what a 403 names."""
        url = path_or_url if path_or_url.startswith("http") else self._base + path_or_url
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            stop=tenacity.stop_after_attempt(self._retry.attempts),
            wait=lambda state: _wait_of(state),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            result: dict[str, Any] | None = retrying(self._attempt, url, params, permission)
            return result
        except _Transient as e:
            raise DirectoryUnavailable(
                f"Microsoft Graph still answered {e.status} after {self._retry.attempts} attempts; try again later"
            ) from None

    def _attempt(self, url: str, params: dict[str, str] | None, permission: str) -> dict[str, Any] | None:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = "Bearer " + self._token()
        try:
            response = self._http.get(url, params=params, headers=headers)
        except httpx.HTTPError as e:
            reason = type(e).__name__
            raise DirectoryUnavailable(f"Microsoft Graph could not be reached at {self._base}: {reason}") from None
        status = response.status_code
        if status == 404:
            return None
        if status == 429 or status >= 500:
            raise _Transient(status, self._wait(response))
        code, message = _error(response)
        if status == 403:
            raise DirectoryUnavailable(
                f"Microsoft Graph refused the read ({code}): the identity needs the {permission} permission "
                f"(application permission, admin consent), {FALLBACK}",
                permission=permission,
            )
        if status == 401:
            raise DirectoryUnavailable(f"Microsoft Graph refused the token ({code}): sign in again ({message})")
        if status >= 400:
            raise DirectoryUnavailable(f"Microsoft Graph refused the request with {status} {code}: {message}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DirectoryUnavailable(f"Microsoft Graph answered {status} without a JSON object")
        return body

    def _wait(self, response: httpx.Response) -> float:
        text = response.headers.get("Retry-After", "")
        try:
            wait = float(text)
        except ValueError:
            return self._retry.default_wait_s
        if wait > self._retry.max_wait_s:
            raise DirectoryUnavailable(f"Microsoft Graph asked to wait {wait:g} s (Retry-After); try again later")
        return max(wait, 0.0)


def _wait_of(state: tenacity.RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    return error.wait_s if isinstance(error, _Transient) else 0.0


def _error(response: httpx.Response) -> tuple[str, str]:
    """Graph's `{"error": {"code", "message"}}`, or the status line when the body is not that shape."""
    try:
        error = response.json().get("error", {})
        return str(error.get("code", response.status_code)), str(error.get("message", ""))
    except (ValueError, AttributeError):
        return str(response.status_code), response.reason_phrase
