"""Keeping a run's workspace lease while it writes, however long one Fabric call takes.

A journal save renews the lease too, but a single long call (a long-running operation, a slow
item) saves nothing while it runs: with renewals at saves only, the lease could run out meanwhile
and another runner (typically `tx recover`, which takes a lapsed lease over) write to the
workspace while this run still does. So one thread renews it every third of its term, each
renewal its own unit of work; the run's saves renew it as well.

The lease is the run's only while it is the one the run took: same transaction and same process.
`tx recover` taking a lapsed lease over keeps the transaction id and names its own process, so a
renewal that looked at the holder alone would take the lease back from it. Once the lease is lost
(another holder, or it ran out before a renewal got through), the run starts no new write and
stores nothing more: the new holder owns the workspace and, for a recovery, this journal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from fabctl.application.deployment.shared_uow import SharedUnitOfWork
from fabctl.application.errors import ApplicationError, ConcurrencyConflict
from fabctl.application.messagebus import run_once
from fabctl.application.ports import Clock, ConflictRetry, Lease, UnitOfWork
from fabctl.domain.transaction import Transaction, WorkspaceBusy

logger = logging.getLogger(__name__)

# Wait up to `seconds` for the event; True once it is set (stop), False when the time is up (renew).
Pause = Callable[[float, threading.Event], bool]
JOIN_SECONDS = 60.0  # a renewal under way when the run ends gets this long to finish (store timeouts are shorter)


def wait_for(seconds: float, stopped: threading.Event) -> bool:
    return stopped.wait(seconds)


class LeaseKeeper:
    """Renews `tx`'s lease every `lease_term / 3` from `start()` to `stop()`; says when it was lost.

    The run uses `uow` (the unit of work given, shared with the renewing thread) meanwhile.
    `stop()` must not be called inside a `with uow` block: it waits for a renewal that may need it.
    A renewal that met a concurrent change runs again from a fresh read, as `retry` (the message bus's
    policy) says."""

    def __init__(
        self,
        uow: UnitOfWork,
        tx: Transaction,
        clock: Clock,
        *,
        pause: Pause = wait_for,
        retry: ConflictRetry = run_once,
    ) -> None:
        self.uow = SharedUnitOfWork(uow)
        self._retry = retry
        self._tx = tx
        self._clock = clock
        self._pause = pause
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = threading.Lock()  # guards what follows: workers ask `lost()` while the thread renews
        self._held: Lease | None = None  # the lease as the run took it
        self._until: datetime | None = None  # when it runs out, as last stored
        self._lost = ""  # why it was lost ("" while held)
        self._taken = False  # lost to a holder the store named (not merely run out)
        self._error = ""

    @property
    def interval(self) -> float:
        """Seconds between renewals: a third of the term, so two may fail before the lease runs out."""
        return self.uow.lease_term.total_seconds() / 3

    def __enter__(self) -> LeaseKeeper:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Note the lease as the run holds it now (just after taking it) and start renewing it."""
        with self.uow:
            lease = self.uow.leases.get(self._tx.workspace_id)
        if lease is None or lease.holder != self._tx.id:
            self._lose(lease)
            return
        with self._state:
            self._held, self._until = lease, lease.until
        self._thread = threading.Thread(target=self._keep, name=f"fabctl-lease-{self._tx.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No renewal after this returns (idempotent)."""
        self._stopped.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_SECONDS)
            if thread.is_alive():
                logger.warning("the lease renewal of transaction %s did not end in %.0fs", self._tx.id, JOIN_SECONDS)

    def lost(self) -> str:
        """Why the lease is no longer the run's ("" while it is): cheap, asked before every write."""
        with self._state:
            if not self._lost and self._until is not None and self._clock.now() >= self._until:
                self._record(None)
        return self._lost

    def error(self) -> WorkspaceBusy:
        """The refusal a run that lost its lease ends with, naming the holder when it is known."""
        return WorkspaceBusy(self._error or "the lease is held", subject=self._tx.subject, field="workspace_id")

    def refusal(self) -> WorkspaceBusy:
        """`error()`, once the store was asked who holds the lease now (a lease seen running out may have been
        taken since). Not inside a `with uow` block."""
        if not self._taken:
            with self.uow:
                lease = self.uow.leases.get(self._tx.workspace_id)
            if lease is not None and not self._ours(lease):
                self._lose(lease)
        return self.error()

    def commit(self, uow: UnitOfWork) -> None:
        """Renew the lease and commit, inside the caller's `with uow` block; raises `error()` if it was lost
        (then nothing of the block is stored)."""
        ws = self._tx.workspace_id
        if self.lost():  # it ran out (or was lost before): never taken back, another may have written since
            self._lose(uow.leases.get(ws))  # who holds it now, for the message
            raise self.error()
        until = self._clock.now() + uow.lease_term
        acquired = uow.leases.acquire(ws, self._tx.id, until)
        # Read after the renewal, this is the unit of work's own write: no second request to a shared store.
        # A renewal keeps the process the lease names, so one taken over by another process is seen here.
        lease = uow.leases.get(ws)
        if not acquired or not self._ours(lease):
            self._lose(lease)
            raise self.error()  # leaving the block unstored
        uow.commit()
        with self._state:
            self._until = max(until, self._until) if self._until is not None else until

    def verify(self, uow: UnitOfWork) -> None:
        """Inside the caller's `with uow` block: raise `error()` unless the lease is still the run's."""
        lease = uow.leases.get(self._tx.workspace_id)
        if not self._ours(lease):
            self._lose(lease)
            raise self.error()
        if self.lost():
            raise self.error()  # once lost, never taken back: another holder may have written since

    def renew(self) -> None:
        """One renewal, in its own unit of work; a failure to reach the store is logged and left for the next."""
        try:
            self._retry(self._renew_once)
        except WorkspaceBusy:
            return  # lost: recorded, the run stops at its next write
        except ConcurrencyConflict as e:
            logger.warning("renewing the lease of transaction %s kept meeting a concurrent change; tried again in "
                           "%.0fs: %s", self._tx.id, self.interval, e)  # fmt: skip
        except ApplicationError as e:
            logger.warning("could not renew the lease of transaction %s (tried again in %.0fs): %s",
                           self._tx.id, self.interval, e)  # fmt: skip

    def _renew_once(self) -> None:
        with self.uow:
            if self._stopped.is_set():
                return  # stopped meanwhile: the run may be releasing the lease, never renew it after
            self.commit(self.uow)

    def _keep(self) -> None:
        while not self._pause(self.interval, self._stopped) and not self._stopped.is_set():
            self.renew()
            if self.lost():
                return  # nothing left to keep

    def _ours(self, lease: Lease | None) -> bool:
        held = self._held
        if lease is None or held is None or lease.holder != self._tx.id:
            return False
        return held.process is None or lease.process == held.process

    def _lose(self, lease: Lease | None) -> None:
        with self._state:
            self._record(lease)

    def _record(self, lease: Lease | None) -> None:
        """Note the loss (the state lock is held); the first one found stays, unless it ran out and the store
        now names who took it."""
        taken = lease is not None and not self._ours(lease)
        if self._taken or (self._lost and not taken):
            return
        ws = self._tx.workspace_id
        after = "no further write was started, and nothing more of this run was stored"
        if lease is not None and taken:
            self._taken = True
            holder = lease.describe() + (", recovering this transaction" if lease.holder == self._tx.id else "")
            self._lost = f"losing the workspace's lease to {holder}"
            self._error = f"lost the lease on workspace {ws} to {holder} while this run was writing: {after}"
        else:
            ran_out = self._until.isoformat(timespec="seconds") if self._until is not None else "?"
            self._lost = f"its workspace lease running out at {ran_out} before it was renewed"
            self._error = f"the lease on workspace {ws} ran out at {ran_out} before this run could renew it: {after}"
        logger.info("transaction %s: %s", self._tx.id, self._error)  # the run ends with it as its error
