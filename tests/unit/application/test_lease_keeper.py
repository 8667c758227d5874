"""The lease keeper renews a run's lease every third of its term, each renewal a unit of work of its own,
and records the lease as lost when another holder (or another process of the same transaction) has it,
or when it ran out before a renewal got through. The waits between renewals are stepped by the test."""

from __future__ import annotations

import threading
from datetime import timedelta

from fabctl.adapters.state.conflict_retry import RetryOnConflict
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.deployment.lease_keeper import LeaseKeeper
from fabctl.application.deployment.run import Deps
from fabctl.application.errors import ConcurrencyConflict
from fabctl.application.ports import ProcessRef
from fabctl.domain.transaction import Transaction, WorkspaceBusy

from .world import DEADLINE_SECONDS

TERM = timedelta(seconds=90)
WS = "ws-1"
HERE = ProcessRef("runner-1", 100, 1.0)
ELSEWHERE = ProcessRef("runner-2", 4242, 2.0)


class SteppedPause:
    """The keeper's wait between renewals: each of the first `renewals` waits lets the clock move on by the
    seconds asked and ends in a renewal; the wait after those blocks until the keeper is stopped.
    `before` runs at the start of each renewing wait (another runner acting meanwhile)."""

    def __init__(self, clock: FixedClock, renewals: int, before: object = None) -> None:
        self.clock = clock
        self.left = renewals
        self.asked: list[float] = []
        self.idle = threading.Event()  # set once every renewal asked for has run
        self.before = before

    def __call__(self, seconds: float, stopped: threading.Event) -> bool:
        self.asked.append(seconds)
        if self.left == 0:
            self.idle.set()
            return stopped.wait(DEADLINE_SECONDS)
        self.left -= 1
        self.clock.advance(seconds)
        if callable(self.before):
            self.before()
        return False


def store(clock: FixedClock) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(clock, SequentialIdGenerator("id"), lease_term=TERM)


def claimed(uow: InMemoryUnitOfWork, clock: FixedClock) -> Transaction:
    tx = Transaction.start("tx-1", WS, "dev", clock.now(), "src", actor="alice")
    with uow:
        uow.transactions.add(tx)
        assert uow.leases.acquire(WS, tx.id, clock.now() + TERM, process=HERE, user="alice")
        uow.commit()
    return tx


def take_over(uow: InMemoryUnitOfWork, clock: FixedClock, holder: str) -> None:
    """What `tx recover` on another runner does once the lease ran out: take it, naming its own process."""
    clock.advance(TERM.total_seconds() + 1)
    with uow:
        assert uow.leases.acquire(WS, holder, clock.now() + TERM, process=ELSEWHERE, user="bob")
        uow.commit()


def lease_until(uow: InMemoryUnitOfWork):  # type: ignore[no-untyped-def]
    with uow:
        lease = uow.leases.get(WS)
    assert lease is not None
    return lease


def test_each_wait_of_a_third_of_the_term_ends_in_a_renewal_for_a_term_from_then() -> None:
    clock = FixedClock()
    uow = store(clock)
    tx = claimed(uow, clock)
    start = clock.now()
    pause = SteppedPause(clock, renewals=2)

    with LeaseKeeper(uow, tx, clock, pause=pause) as keeper:
        assert pause.idle.wait(DEADLINE_SECONDS)
        assert keeper.lost() == ""

    assert pause.asked[:2] == [30.0, 30.0]  # a third of 90 s
    lease = lease_until(uow)
    assert lease.until == start + timedelta(seconds=60 + 90)  # renewed at +30 s, then at +60 s
    assert lease.process == HERE and lease.user == "alice"  # the holder's facts are kept


def test_a_lease_taken_over_by_another_process_of_the_transaction_is_lost_and_not_taken_back() -> None:
    clock = FixedClock()
    uow = store(clock)
    tx = claimed(uow, clock)
    pause = SteppedPause(clock, renewals=1, before=lambda: take_over(uow, clock, tx.id))

    keeper = LeaseKeeper(uow, tx, clock, pause=pause)
    keeper.start()
    assert _wait_until(lambda: keeper.lost() != "")
    keeper.stop()

    assert "pid 4242 on host runner-2" in keeper.lost() and "user bob" in keeper.lost()
    assert lease_until(uow).process == ELSEWHERE  # the renewal did not take it back
    assert len(pause.asked) == 1  # the keeper stopped renewing once it was lost
    message = str(keeper.error())
    assert f"lost the lease on workspace {WS} to transaction tx-1 (user bob, pid 4242 on host runner-2" in message


def test_a_lease_that_ran_out_unrenewed_is_lost_though_nobody_took_it() -> None:
    clock = FixedClock()
    uow = store(clock)
    tx = claimed(uow, clock)
    pause = SteppedPause(clock, renewals=0)  # no renewal gets through (a paused process, an unreachable store)

    with LeaseKeeper(uow, tx, clock, pause=pause) as keeper:
        assert keeper.lost() == ""
        clock.advance(TERM.total_seconds())
        assert "lease running out at" in keeper.lost()
        with uow:
            uow.transactions.add(tx)
            try:
                keeper.commit(uow)
            except WorkspaceBusy as e:
                assert "ran out at" in str(e) and e.field == "workspace_id"
            else:
                raise AssertionError("a save after the lease ran out was stored")
    with uow:
        assert uow.leases.get(WS) is None  # not renewed after it ran out


def test_a_lost_lease_is_what_the_run_is_asked_to_stop_for() -> None:
    clock = FixedClock()
    uow = store(clock)
    tx = claimed(uow, clock)
    keeper = LeaseKeeper(uow, tx, clock, pause=SteppedPause(clock, renewals=0))
    keeper.start()
    deps = Deps(keeper.uow, gateway=None, clock=clock, ids=None, telemetry=None, keeper=keeper)  # type: ignore[arg-type]
    assert deps.stop_requested() == ""

    take_over(uow, clock, "tx-other")
    keeper.renew()
    keeper.stop()

    assert deps.stop_requested() == keeper.lost()
    assert deps.stop_requested().startswith("losing the workspace's lease to transaction tx-other")


class ConflictingOnce(InMemoryUnitOfWork):
    """A store whose first commit meets a concurrent change, as a shared (Azure) store's may."""

    conflicts = 0

    def commit(self) -> None:
        if self.conflicts:
            self.conflicts -= 1
            self.rollback()
            raise ConcurrencyConflict("the lease on workspace ws-1 was changed by another unit of work")
        super().commit()


def test_a_renewal_that_met_a_concurrent_change_runs_again_as_the_bus_retry_policy_says() -> None:
    clock = FixedClock()
    uow = ConflictingOnce(clock, SequentialIdGenerator("id"), lease_term=TERM)
    tx = claimed(uow, clock)
    start = clock.now()
    waits: list[float] = []
    retry = RetryOnConflict(attempts=3, sleep=waits.append)
    keeper = LeaseKeeper(uow, tx, clock, pause=SteppedPause(clock, renewals=0), retry=retry)
    keeper.start()
    clock.advance(30)
    uow.conflicts = 1

    keeper.renew()
    keeper.stop()

    assert uow.conflicts == 0 and keeper.lost() == ""
    assert len(waits) == 1  # the policy's wait ran once, between the conflict and the second attempt
    assert lease_until(uow).until == start + timedelta(seconds=30 + 90)


def test_a_renewal_that_keeps_conflicting_is_left_for_the_next_and_the_lease_is_not_lost() -> None:
    clock = FixedClock()
    uow = ConflictingOnce(clock, SequentialIdGenerator("id"), lease_term=TERM)
    tx = claimed(uow, clock)
    keeper = LeaseKeeper(
        uow, tx, clock, pause=SteppedPause(clock, renewals=0), retry=RetryOnConflict(2, sleep=lambda _: None)
    )
    keeper.start()
    clock.advance(30)
    uow.conflicts = 5

    keeper.renew()
    keeper.stop()

    assert uow.conflicts == 3  # two attempts, as the policy allows
    assert keeper.lost() == ""  # the lease still runs until its stored end: the next renewal may get through


def _wait_until(condition, timeout: float = DEADLINE_SECONDS) -> bool:  # type: ignore[no-untyped-def]
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not done.is_set():
            if condition():
                return True
            done.wait(0.01)
        return bool(condition())
    finally:
        deadline.cancel()
