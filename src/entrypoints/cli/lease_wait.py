"""`--lock-timeout`: wait for a workspace another runner holds, as `terraform -lock-timeout` waits for state.

A command refused because another transaction holds the workspace's lease (or changed the workspace while
this one planned) is tried again every few seconds until the timeout; nothing is written by a refused try.
The default, 0, refuses at once: waiting is something a CI job asks for, never a surprise.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fabctl.domain.transaction import WorkspaceBusy

T = TypeVar("T")

POLL_SECONDS = 2.0  # how often a waiting command tries again
SAY_EVERY_SECONDS = 30.0  # how often it says it is still waiting
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"(\d+)([smh]?)")
# The refusals that end when the other runner finishes: its lease, or its transaction changing the workspace.
_WAITABLE = ("lease", "transactions")


def parse_duration(text: str) -> float:
    """Seconds in `90`, `90s`, `5m` or `1h`; ValueError naming the forms otherwise."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not a duration: give seconds (90, 90s), minutes (5m) or hours (1h)")
    return float(int(found.group(1)) * _UNITS[found.group(2)])


def _duration_option(ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


LOCK_TIMEOUT_OPTION = click.option(
    "--lock-timeout",
    "lock_timeout",
    default="0",
    metavar="DURATION",
    callback=_duration_option,
    help="While another runner holds the workspace, wait up to DURATION (90s, 5m, 1h) for it, trying again "
    "every 2s, instead of refusing at once. A lease whose holder died runs out after lease_seconds "
    "(FABCTL_LEASE_SECONDS) [default: 0, no wait].",
)


def _waitable(error: BaseException) -> bool:
    return isinstance(error, WorkspaceBusy) and error.field in _WAITABLE


def waiting_for_lease(
    attempt: Callable[[], T],
    timeout: float,
    *,
    sleep: Callable[[float], Any] = time.sleep,
    now: Callable[[], float] = time.monotonic,
) -> T:
    """`attempt()`, tried again while the workspace is busy, until `timeout` seconds have passed."""
    if timeout <= 0:
        return attempt()
    # Imported here: the CLI's start-up time matters, and only a waiting command needs tenacity.
    from tenacity import Retrying, retry_if_exception

    started = now()
    said_at: list[float] = []

    def left() -> float:
        return timeout - (now() - started)

    def out_of_time(state: Any) -> bool:
        return left() <= 0

    def pause(state: Any) -> float:
        return min(POLL_SECONDS, left())  # the last try comes at the timeout, not after it

    def say(state: Any) -> None:
        elapsed = now() - started
        if not said_at or elapsed - said_at[-1] >= SAY_EVERY_SECONDS:
            said_at.append(elapsed)
            refusal: WorkspaceBusy = state.outcome.exception()
            click.echo(f"waiting for the workspace (lock timeout {timeout:.0f}s): {refusal.message}", err=True)

    retrying = Retrying(
        retry=retry_if_exception(_waitable),
        wait=pause,
        stop=out_of_time,
        before_sleep=say,
        sleep=sleep,
        reraise=True,  # the last refusal is the user's message, not a RetryError
    )
    return retrying(attempt)
