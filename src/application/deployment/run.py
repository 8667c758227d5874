"""A deployment in progress, and the journaled write every change goes through.

Every write is journaled before it is made (intent and before-image) and after (outcome), so a
failure, or a crash, leaves a record precise enough to undo exactly what was done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fabctl.application.deployment.journal import JournalWriter
from fabctl.application.deployment.lease_keeper import LeaseKeeper, Pause, wait_for
from fabctl.application.deployment.leases import renew_lease
from fabctl.application.deployment.planner import PreparedDeployment
from fabctl.application.deployment.results import DeploymentResult, ItemOutcome
from fabctl.application.errors import GatewayError
from fabctl.application.messagebus import run_once
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    DeployedItem,
    FabricGateway,
    IdGenerator,
    Machine,
    StopRequests,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain.binding import BindingContext
from fabctl.domain.items import ItemKey
from fabctl.domain.transaction import ItemImage, StepAction, Transaction, TransactionStep


@dataclass
class Deps:
    uow: UnitOfWork
    gateway: FabricGateway
    clock: Clock
    ids: IdGenerator
    telemetry: Telemetry
    machine: Machine | None = None  # the lease names this process as its holder's
    stop: StopRequests | None = None  # Ctrl-C, SIGTERM: no new write starts once asked
    keeper: LeaseKeeper | None = None  # renews the lease while the run writes; `uow` is then its shared one
    lease_pause: Pause = wait_for  # how the keeper waits between renewals (tests step it by hand)
    retry: ConflictRetry = run_once  # how a lease renewal that met a concurrent change runs again

    def stop_requested(self) -> str:
        """What asked the deployment to stop ("" while nothing did): a signal, or losing the lease."""
        lost = self.keeper.lost() if self.keeper is not None else ""
        return lost or (self.stop.requested() if self.stop is not None else "")


@dataclass
class DeploymentRun:
    prepared: PreparedDeployment
    tx: Transaction
    result: DeploymentResult
    ids_by_key: dict[ItemKey, str]
    # One lock around every change to the journal, the result and the records: workers run the
    # gateway calls in parallel, never the bookkeeping. The journal is saved by group commit.
    lock: threading.Lock
    journal: JournalWriter
    binding: BindingContext  # binds content about to be written (never with a placeholder)
    on_progress: Callable[[ItemOutcome], None] | None = None
    records: list[DeployedItem] = field(default_factory=list)
    reserved: frozenset[ItemKey] = frozenset()  # created empty first, their definition sent after
    failed: set[ItemKey] = field(default_factory=set)
    ok: bool = True
    interrupted: str = ""  # what stopped it (e.g. "SIGINT"): no write starts from then on

    def report(self, outcome: ItemOutcome) -> None:
        """Record an item's outcome and tell the caller; the lock must be held."""
        self.result.outcomes.append(outcome)
        if self.on_progress is not None:
            self.on_progress(outcome)


class StepFailed(Exception):
    """A journaled write failed; it is already recorded and reported."""


def step(
    run: DeploymentRun,
    deps: Deps,
    action: StepAction,
    key: ItemKey,
    item_id: str | None,
    before: ItemImage | None,
    write: Callable[[], str],
) -> str:
    """One journaled write: its intent saved, the call (outside the lock), then its outcome saved.

    Refused (reported skipped) once the deployment was asked to stop: no new write starts then."""
    if stop_here(run, deps):
        with run.lock:
            run.report(ItemOutcome(str(key), action.value, "skipped", detail=f"interrupted by {run.interrupted}"))
        raise StepFailed
    intent = journal(run, action, str(key), item_id, before)
    try:
        with deps.telemetry.span("fabctl.item", item=str(key), action=action.value, **{"item.type": key.type}):
            written = write()
    except GatewayError as e:
        deps.telemetry.count("fabctl.item.writes", 1, action=action.value, outcome="failed", **{"item.type": key.type})
        report_failure(run, deps, intent.number, str(key), action.value, str(e), key=key)
        raise StepFailed from e
    deps.telemetry.count("fabctl.item.writes", 1, action=action.value, outcome="succeeded", **{"item.type": key.type})
    with run.lock:
        run.tx.record_success(intent.number, written)
        deps.telemetry.count("fabctl.items_deployed", action=action.value)
        change = changed(run)
    durable(run, change)
    return written


def stop_here(run: DeploymentRun, deps: Deps) -> bool:
    """Whether the deployment was asked to stop; the first time, the run is marked so (not ok)."""
    why = deps.stop_requested()
    if not why:
        return False
    with run.lock:
        if not run.interrupted:
            run.interrupted, run.ok = why, False
            run.result.error = run.result.error or f"interrupted by {why}: no further write was started"
    return True


def journal(
    run: DeploymentRun, action: StepAction, item: str, item_id: str | None, before: ItemImage | None
) -> TransactionStep:
    """Journal the intent of a write; it is durable (write-ahead) when this returns."""
    with run.lock:
        intent = run.tx.record_intent(action, item, item_id, before)
        change = changed(run)
    durable(run, change)
    return intent


def report_failure(
    run: DeploymentRun, deps: Deps, number: int, item: str, action: str, error: str, *, key: ItemKey | None
) -> None:
    """Journal and report a failed write of `item` (an item `key`, or a folder path).

    Fabric's message may quote the content it refused: the secret values read so far are put back as
    their `$secret:NAME` before it reaches the journal, the report and the events."""
    error = run.prepared.inputs.rules.redactions().redact(error)
    with run.lock:
        run.ok = False
        if key is not None:
            run.failed.add(key)
        run.tx.record_failure(number, error)
        run.report(ItemOutcome(item, action, "failed", detail=error))
        run.result.error = run.result.error or f"{item}: {error}"
        deps.telemetry.count("fabctl.items_failed", action=action)
        change = changed(run)
    durable(run, change)


def changed(run: DeploymentRun) -> int:
    """Count a journal change; the lock must be held."""
    return run.journal.changed()


def durable(run: DeploymentRun, change: int) -> None:
    """Wait until that change is saved; the lock must not be held."""
    run.journal.make_durable(change)


def save(run: DeploymentRun, deps: Deps) -> None:
    """Store the journal, renewing the lease; refused (nothing stored) once the lease is lost."""
    with deps.uow:
        deps.uow.transactions.add(run.tx)
        if deps.keeper is not None:
            deps.keeper.commit(deps.uow)
            return
        renew_lease(deps.uow, run.tx, deps.clock)  # a live deployment keeps its workspace
        deps.uow.commit()
