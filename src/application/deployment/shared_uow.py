"""One unit of work used by two threads, one `with` block at a time.

A run's unit of work is one object with state of its own (an open SQLite connection, the Azure
table's buffered writes), so two `with` blocks on it must never overlap. While a run writes, the
lease keeper renews the lease from its own thread: both go through this wrapper, which lets one
block in at a time. Sharing the object (rather than opening a second one) keeps what it knows of
the store in one place: after a renewal, the run's next save sees the lease's new ETag.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from fabctl.application.ports import (
    DeploymentRecords,
    Inbox,
    Leases,
    Outbox,
    PromotionRepository,
    TransactionRepository,
    UnitOfWork,
)
from fabctl.domain.events import Event


class SharedUnitOfWork:
    """A `UnitOfWork` whose `with` blocks take turns across threads (re-entrant on one thread)."""

    # Declared for the protocol; looked up on the wrapped unit of work (it reinstalls them per block).
    promotions: PromotionRepository
    transactions: TransactionRepository
    deployments: DeploymentRecords
    outbox: Outbox
    inbox: Inbox
    leases: Leases
    lease_term: timedelta

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner
        self._turn = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> Self:
        self._turn.acquire()
        try:
            self._inner.__enter__()
        except BaseException:
            self._turn.release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self._inner.__exit__(exc_type, exc, tb)
        finally:
            self._turn.release()

    def commit(self) -> None:
        self._inner.commit()

    def rollback(self) -> None:
        self._inner.rollback()

    def collect_new_events(self) -> Iterator[Event]:
        return self._inner.collect_new_events()
