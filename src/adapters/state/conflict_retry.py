"""The message bus's retry of a command that met a concurrent change in a shared state store.

Azure Storage keeps state with optimistic concurrency (ADR 0030): two runners that change one
promotion at once both read it, one commits, the other's commit fails with `ConcurrencyConflict`
and nothing of it is stored. Running the command again reads the winner's change and applies its
own on top. The waits are short and random, so two runners that collided do not collide again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import tenacity

from fabctl.application.errors import ConcurrencyConflict

logger = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
WAIT = tenacity.wait_random(min=0.05, max=0.5)


class RetryOnConflict:
    """A `ConflictRetry`: up to `attempts` runs, `wait` between them (a tenacity wait strategy), slept
    with `sleep` (tests pass one that records instead)."""

    def __init__(
        self,
        attempts: int = ATTEMPTS,
        wait: tenacity.wait.WaitBaseT = WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._attempts = attempts
        self._wait = wait
        self._sleep = sleep

    def __call__(self, attempt: Callable[[], T], /) -> T:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(ConcurrencyConflict),
            stop=tenacity.stop_after_attempt(self._attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,  # the caller sees the last conflict, naming what conflicted
            before_sleep=_log_conflict,
        )
        return retrying(attempt)


def _log_conflict(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    logger.info(
        "attempt %d met a concurrent change (%s); running it again from a fresh read", state.attempt_number, error
    )
