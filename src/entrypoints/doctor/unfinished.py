"""Transactions a crash left unfinished, and leases held on the target workspaces: each named, with the
command that settles it."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed


def check_unfinished(context: DoctorContext) -> Outcome:
    uow = context.state_store()
    with uow:
        stranded = [tx for tx in uow.transactions.list() if tx.unfinished]
        workspaces = {tx.workspace_id for tx in uow.transactions.list()}
        workspaces |= {w.id for w in context.workspaces.values()}
        leases = [lease for lease in (uow.leases.get(w) for w in sorted(workspaces)) if lease is not None]
    problems = [f"transaction {tx.id} ({tx.environment}) is {tx.state.value}" for tx in stranded]
    problems += [f"workspace {lease.workspace_id} is leased to {lease.describe()}" for lease in leases]
    if problems:
        ids = dict.fromkeys([*(tx.id for tx in stranded), *(lease.holder for lease in leases)])
        commands = "; ".join(f"fabctl tx recover {tx}" for tx in ids)
        return failed(
            "; ".join(problems),
            f"if its process is gone: {commands} (a lease also runs out by itself)",
        )
    return passed("no unfinished transaction, no held lease")
