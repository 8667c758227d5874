"""Transactions left stranded by a lost process: unfinished, and nobody holds their workspace's lease any more.

A deployment renews its lease with every journal save, so an unfinished transaction whose lease has run
out (or whose holder is seen gone on this host) has no process left to finish it. The recovery sweep
finishes each one from its journal, as `fabctl tx recover` would: a deployment that was writing is
resumed (`resume`: what it had done is found done, the rest is done), a rollback that was under way is
completed (`rollback`). The command's message id derives from the transaction, so two sweeps that
find the same transaction (two Function instances) recover it once.
"""

from __future__ import annotations

from fabctl.application.deployment.leases import holder_is_gone
from fabctl.application.ports import Machine, UnitOfWork
from fabctl.domain.commands import RecoverTransaction
from fabctl.domain.transaction import TransactionState

SWEEPER = "fabctl recovery sweep"
_MODE = {TransactionState.STARTED: "resume", TransactionState.ROLLING_BACK: "rollback"}


def stranded_recoveries(uow: UnitOfWork, machine: Machine | None = None) -> list[RecoverTransaction]:
    """One recovery command per stranded transaction, oldest first."""
    commands = []
    with uow:
        for tx in uow.transactions.list():
            mode = _MODE.get(tx.state)
            if mode is None:
                continue
            lease = uow.leases.get(tx.workspace_id)
            if lease is not None and not (lease.holder == tx.id and holder_is_gone(lease, machine)):
                continue  # a live deployment (this one or another) holds the workspace
            commands.append(RecoverTransaction(f"recover-{tx.id}-{mode}", tx.id, mode, requested_by=SWEEPER))
    return commands
