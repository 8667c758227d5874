"""Repeating a call whose long-running operation failed for a reason that may pass.

An operation that ends `Failed` is repeated only when the service says the failure may pass: its error
carries `isRetriable: true`, or an error code the service uses for its own passing failures
(`TRANSIENT_OPERATION_ERRORS`). A refusal for cause (a bad definition, a missing capacity) would only
fail again. Repeats wait the transport's backoff and stop after `retries`; the last failure is raised.

Before a repeat, `settled` may look at the service: a create whose operation failed may still have
left its item behind, and creating it again would be refused as a duplicate name (see idempotency).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fabctl.adapters.fabric.http.errors import FabricOperationFailed

T = TypeVar("T")

# `UnknownError` is what the service answers for its own unexpected failures (the body of its 500s,
# which every client repeats); the throttling codes mean the operation was refused for load.
TRANSIENT_OPERATION_ERRORS = frozenset({"UnknownError", "RequestBlocked", "TooManyRequests"})


def may_pass(error: FabricOperationFailed) -> bool:
    return error.is_retriable or error.error_code in TRANSIENT_OPERATION_ERRORS


def repeating_failed_operations(
    call: Callable[[], T],
    *,
    retries: int,
    backoff: Callable[[int], float],
    sleep: Callable[[float], None],
    settled: Callable[[], T | None] | None = None,
) -> T:
    """`call()`'s result, repeating it after an operation failure that may pass (at most `retries` times)."""
    attempt = 0
    while True:
        try:
            return call()
        except FabricOperationFailed as e:
            attempt += 1
            if attempt > retries or not may_pass(e):
                raise
        sleep(backoff(attempt))
        found = settled() if settled is not None else None
        if found is not None:
            return found
