"""What every Fabric REST call of the gateway shares: reading shapes, finishing operations,
and sending creates and deletes without doing them twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self, TypeVar

import httpx

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.errors import FabricResponseUnreadable
from fabctl.adapters.fabric.http.failed_operations import repeating_failed_operations
from fabctl.adapters.fabric.http.idempotency import without_duplicates
from fabctl.adapters.fabric.http.operations import OperationPoller
from fabctl.adapters.fabric.http.transport import FabricHttpClient, RetryPolicy, StreamedJson
from fabctl.application.errors import ItemNotFound
from fabctl.domain.errors import DomainError

T = TypeVar("T")
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, DomainError)


class FabricRestBase:
    def __init__(
        self,
        client: FabricHttpClient,
        operations: OperationPoller,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        operation_retries: int = 3,
    ) -> None:
        self._client = client
        self._operations = operations
        self._retry = retry
        self._sleep = sleep
        self._operation_retries = operation_retries

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def close(self) -> None:
        """Close the shared HTTP client (and the trace file)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _once(self, send: Callable[[], T], settled: Callable[[], T | None]) -> T:
        """A non-idempotent call (see `idempotency`): after an ambiguous failure, look before repeating."""
        return without_duplicates(
            send, settled, retries=self._retry.max_retries, backoff=self._client.backoff, sleep=self._sleep
        )

    def _past_failed_operations(self, call: Callable[[], T], settled: Callable[[], T | None] | None = None) -> T:
        """`call()`, repeated after its long-running operation failed in a way that may pass
        (failed_operations); `settled` looks at the service before each repeat."""
        return repeating_failed_operations(
            call, retries=self._operation_retries, backoff=self._client.backoff, sleep=self._sleep, settled=settled
        )

    def _post_once(self, url: str, body: dict[str, Any] | StreamedJson) -> httpx.Response:
        if isinstance(body, dict):
            return self._client.request("POST", url, json=body, idempotent=False)
        return self._client.request("POST", url, stream=body, idempotent=False)

    def _delete_once(self, url: str, still_there: Callable[[], object]) -> None:
        """DELETE `url`; after an ambiguous failure, `still_there()` raising ItemNotFound means done."""

        def send() -> bool:
            self._client.request("DELETE", url, idempotent=False)
            return True

        def gone() -> bool | None:
            try:
                still_there()
            except ItemNotFound:
                return True
            return None

        self._once(send, gone)

    def _finish(self, response: httpx.Response, *, has_result: bool) -> httpx.Response:
        final = self._operations.finish(response, has_result=has_result)
        if final is None:
            raise responses.unreadable(response, "the operation succeeded without the result it should have")
        return final

    def _read(self, response: httpx.Response, shape: Callable[[dict[str, Any]], T]) -> T:
        body = responses.read_object(response)
        try:
            return shape(body)
        except _SHAPE_ERRORS as e:
            raise responses.unreadable(response, f"unexpected response shape: {e!r}") from e

    def _list(self, elements: Sequence[Any] | Any, shape: Callable[[dict[str, Any]], T]) -> list[T]:
        """Shapes for the elements of a paged list (no single response to blame, so no status)."""
        shaped = []
        for element in elements:
            try:
                if not isinstance(element, dict):
                    raise TypeError(f"a list element is {type(element).__name__}, not an object")
                shaped.append(shape(element))
            except _SHAPE_ERRORS as e:
                raise FabricResponseUnreadable(
                    f"unexpected list element shape: {e!r}", error_code="UnreadableResponse"
                ) from e
        return shaped


def named(candidates: Sequence[T], name: str, name_of: Callable[[T], str]) -> T | None:
    """The candidate called `name`: exactly, else ignoring case (Fabric compares names case-insensitively)."""
    exact = [c for c in candidates if name_of(c) == name]
    if exact:
        return exact[0]
    folded = [c for c in candidates if name_of(c).casefold() == name.casefold()]
    return folded[0] if folded else None
