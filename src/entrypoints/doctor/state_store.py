"""The state store answers and takes a write: a probe lease taken and given up in one unit of work."""

from __future__ import annotations

from datetime import timedelta

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, passed

# A workspace id no workspace has: the probe's lease can never stand in a deployment's way.
PROBE_WORKSPACE = "fabctl-doctor-probe"


def check_state_store(context: DoctorContext) -> Outcome:
    from fabctl.adapters.system.clock import SystemClock
    from fabctl.adapters.system.ids import UuidIdGenerator

    settings = context.loaded_settings()
    uow = context.state_store()
    holder = f"doctor-{UuidIdGenerator().new_id()}"
    with uow:
        taken = uow.leases.acquire(PROBE_WORKSPACE, holder, SystemClock().now() + timedelta(minutes=1))
        uow.leases.release(PROBE_WORKSPACE, holder)
        uow.commit()
    where = {"sqlite": f"SQLite in {settings.state_dir}", "azure": "Azure storage", "memory": "in memory"}
    lease = "" if taken else " (another doctor's probe held the lease)"
    return passed(f"{where[settings.state_store]}: read and written{lease}")


FIX = "make the state store reachable and writable for this identity (docs/state.md)"
