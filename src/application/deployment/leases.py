"""Workspace leases: one deployment (or rollback, revert, recovery) at a time per workspace.

The lease lives in the state store with an expiry, so a holder that crashed blocks nobody for
longer than `LEASE_DURATION`; a live holder renews it with every journal save.
"""

from __future__ import annotations

from datetime import timedelta

from fabctl.application.ports import Clock, UnitOfWork
from fabctl.domain.transaction import Transaction, UnfinishedTransaction, WorkspaceBusy

LEASE_DURATION = timedelta(minutes=15)


def renew_lease(uow: UnitOfWork, tx: Transaction, clock: Clock) -> None:
    """Extend `tx`'s lease on its workspace, inside the caller's unit of work; refuse if it was lost."""
    if not uow.leases.acquire(tx.workspace_id, tx.id, clock.now() + LEASE_DURATION):
        holder = uow.leases.get(tx.workspace_id)
        raise WorkspaceBusy(
            f"lost the lease on workspace {tx.workspace_id} to transaction {holder.holder if holder else '?'}",
            subject=tx.subject,
            field="workspace_id",
        )


def holds_lease(uow: UnitOfWork, tx: Transaction) -> bool:
    with uow:
        lease = uow.leases.get(tx.workspace_id)
    return lease is not None and lease.holder == tx.id


def claim_workspace(uow: UnitOfWork, tx: Transaction, clock: Clock, planned_after: str | None = None) -> None:
    """Take the workspace's lease for `tx`, in the caller's unit of work, or refuse to start.

    With `planned_after` (the newest transaction when the plan was made), a transaction started
    since then makes the plan stale: refused too, so two deployments never interleave a plan.

    Refused while another transaction holds the lease (a deployment is running), and while a
    transaction on the workspace is unfinished (started or rolling back, its lease gone: the
    process died), since deploying over a half-applied transaction would make it unrecoverable.
    """
    workspace = tx.workspace_id
    lease = uow.leases.get(workspace)
    if lease is not None and lease.holder != tx.id:
        until = lease.until.isoformat(timespec="seconds")
        raise WorkspaceBusy(
            f"transaction {lease.holder} is deploying to this workspace (its lease runs until {until}); "
            "deploy again when it has finished, or if its process is gone (killed, lost runner) run "
            f"`fabctl tx recover {lease.holder} --rollback` (or `--resume`) with `--force`",
            subject=f"workspace {workspace}",
            field="lease",
        )
    history = [t for t in uow.transactions.summaries(workspace) if t.id != tx.id]
    unfinished = [t for t in history if t.unfinished]
    if unfinished:
        stuck = unfinished[-1]
        raise UnfinishedTransaction(
            f"transaction {stuck.id} on this workspace is unfinished ({stuck.state.value}): it stopped mid-way. "
            f"Run `fabctl tx recover {stuck.id} --rollback` to undo it, or `--resume` to complete it, "
            "then deploy again",
            subject=f"workspace {workspace}",
            field="transactions",
        )
    newest = history[-1].id if history else ""
    if planned_after is not None and newest != planned_after:
        raise WorkspaceBusy(
            f"transaction {newest} changed this workspace while this deployment was planning; "
            "nothing was written: plan and deploy again",
            subject=f"workspace {workspace}",
            field="transactions",
        )
    renew_lease(uow, tx, clock)
