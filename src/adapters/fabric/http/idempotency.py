"""Repeating a non-idempotent call (create, delete) without doing it twice.

A POST that failed ambiguously (the connection dropped or timed out after sending, or the
service answered 5xx) may have taken effect. Repeating it blindly duplicates a workspace, or
leaves a second item whose name collides. So before every repeat the caller's `settled` check
looks at the service: if the object exists (or, for a delete, is gone) that is the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fabctl.adapters.fabric.http.errors import FabricHttpError, FabricResponseUnreadable, FabricServerError
from fabctl.application.errors import GatewayError

T = TypeVar("T")

AMBIGUOUS = (FabricResponseUnreadable, FabricServerError)


def without_duplicates(
    send: Callable[[], T],
    settled: Callable[[], T | None],
    *,
    retries: int,
    backoff: Callable[[int], float],
    sleep: Callable[[float], None],
) -> T:
    """`send()`'s result; after an ambiguous failure, `settled()`'s answer if it has one.

    A refusal after an ambiguous attempt (409 name in use, 404 already deleted) is most likely
    the earlier attempt's own effect, so `settled()` is asked again before it is raised.
    """
    ambiguous: GatewayError | None = None
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff(attempt))
        try:
            return send()
        except AMBIGUOUS as e:
            ambiguous = e
        except FabricHttpError:
            if ambiguous is None:
                raise
            found = settled()
            if found is not None:
                return found
            raise
        found = settled()
        if found is not None:
            return found
    assert ambiguous is not None
    raise ambiguous
