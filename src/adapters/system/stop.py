"""Requests to stop a deployment: a switch the application reads, flipped by hand (tests) or by the
OS's signals (Ctrl-C, SIGTERM) while `signals_flip(switch)` is in force (the CLI).

Ctrl-C while a transaction writes asks it to stop cleanly: no new write starts, the writes in flight
settle, then the transaction is rolled back or left failed (the application decides), and the
process exits 130 (SIGINT) or 143 (SIGTERM). A second signal while settling stops at once: the
transaction is left unfinished, as a crash leaves it, and `fabctl tx recover` finishes it. Before a
transaction starts (while planning) nothing is written yet, so the first signal stops at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

# The shell's convention: 128 + the signal's number.
EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


class StopSwitch:
    """A stop request, made by `request`; knows which transaction (if any) is writing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requested = ""
        self.transaction = ""  # writing now
        self.ended = ""  # the last one that ended

    def request(self, why: str) -> tuple[str, bool]:
        """Ask to stop; (the transaction writing now, whether this is the first request)."""
        with self._lock:
            first = not self._requested
            self._requested = self._requested or why
            return self.transaction, first

    def requested(self) -> str:
        return self._requested

    def transaction_started(self, transaction_id: str) -> None:
        with self._lock:
            self.transaction = transaction_id

    def transaction_ended(self) -> None:
        with self._lock:
            self.transaction, self.ended = "", self.transaction

    @property
    def exit_code(self) -> int:
        """130 or 143 once a signal asked to stop, else 0."""
        return EXIT_CODES.get(self._requested, 0)


@contextmanager
def signals_flip(switch: StopSwitch) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM flip `switch` (the first), or stop the process (see above)."""

    def on_signal(number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        transaction, first = switch.request(name)
        if not transaction:
            # Nothing is being written: stopping at once changes nothing.
            when = f"after transaction {switch.ended} ended" if switch.ended else "before any write: nothing changed"
            say(f"error: interrupted by {name} {when}")
            _exit_now(EXIT_CODES[name])
        if first:
            say(
                f"fabctl: {name} received: no new write starts; the writes in flight finish, then transaction "
                f"{transaction} winds down. Press Ctrl-C again to stop at once (left for `fabctl tx recover`)."
            )
            return
        say(
            f"error: interrupted again ({name}): stopped at once; transaction {transaction} is left unfinished. "
            f"Run `fabctl tx recover {transaction} --rollback` to undo it, or `--resume` to complete it"
        )
        _exit_now(switch.exit_code)

    with handling_signals(on_signal):
        yield


@contextmanager
def handling_signals(on_signal: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call `on_signal`; the handlers before are put back after."""
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def say(line: str) -> None:
    """One line to stderr, at once (a signal handler's message must not wait in a buffer)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _exit_now(code: int) -> None:
    # Not SystemExit: worker threads would keep writing while it unwinds. The journal is durable as
    # it stands (write-ahead), and a step whose outcome it lacks is settled by reading the workspace.
    sys.stdout.flush()
    os._exit(code)
