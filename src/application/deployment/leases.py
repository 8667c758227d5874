"""Workspace leases: one deployment (or rollback, revert, recovery) at a time per workspace.

The lease lives in the state store with an expiry, so a holder that crashed blocks nobody for
longer than its store's `lease_term` (the setting `lease_seconds`); a live holder renews it with
every journal save. A lease records its holder: the transaction, the process (host, pid and the
process's start time) and the user.
On the same host, a holder whose process is gone holds nothing: its lease is taken over at once.
The start time is what tells the holder from a later process that the OS gave the same pid.
A lease on another host cannot be checked: the refusal names its holder, and `--force` takes over.
"""

from __future__ import annotations

from fabctl.application.ports import Clock, JournalSummary, Lease, Machine, UnitOfWork
from fabctl.domain.transaction import Transaction, UnfinishedTransaction, WorkspaceBusy


def renew_lease(uow: UnitOfWork, tx: Transaction, clock: Clock, machine: Machine | None = None) -> None:
    """Extend `tx`'s lease on its workspace, inside the caller's unit of work; refuse if it was lost.

    With `machine`, the lease records this process as its holder's (taking over from an earlier one)."""
    process = machine.this_process() if machine is not None else None
    until = clock.now() + uow.lease_term
    if not uow.leases.acquire(tx.workspace_id, tx.id, until, process=process, user=tx.acting if process else ""):
        holder = uow.leases.get(tx.workspace_id)
        raise WorkspaceBusy(
            f"lost the lease on workspace {tx.workspace_id} to {holder.describe() if holder else '?'}",
            subject=tx.subject,
            field="workspace_id",
        )


def holds_lease(uow: UnitOfWork, tx: Transaction) -> bool:
    with uow:
        lease = uow.leases.get(tx.workspace_id)
    return lease is not None and lease.holder == tx.id


def holder_is_gone(lease: Lease, machine: Machine | None) -> bool:
    """The lease's holder ran on this host and its process has ended (not merely: its pid is free)."""
    if machine is None or lease.process is None:
        return False  # a lease from before holders were recorded, or no way to look: assume it runs
    return lease.process.host == machine.this_process().host and not machine.is_running(lease.process)


def journal_mark(history: list[JournalSummary]) -> str:
    """The newest transaction on a workspace and how it stood: a plan made then is stale once this
    changes, be it a new transaction or the one that was writing having finished since."""
    return f"{history[-1].id} {history[-1].state.value}" if history else ""


def claim_workspace(
    uow: UnitOfWork,
    tx: Transaction,
    clock: Clock,
    planned_after: str | None = None,
    machine: Machine | None = None,
) -> None:
    """Take the workspace's lease for `tx`, in the caller's unit of work, or refuse to start.

    With `planned_after` (the `journal_mark` when the plan read the workspace), a transaction
    started, or finished, since then makes the plan stale: refused too, so a plan made while
    another deployment was writing is never carried out, even once that one has committed.

    Refused while another transaction holds the lease (a deployment is running), and while a
    transaction on the workspace is unfinished (started or rolling back, its lease gone: the
    process died), since deploying over a half-applied transaction would make it unrecoverable.
    """
    workspace = tx.workspace_id
    lease = uow.leases.get(workspace)
    if lease is not None and lease.holder != tx.id:
        if not holder_is_gone(lease, machine):
            raise _busy(lease, workspace, machine)
        uow.leases.release(workspace, lease.holder)  # its process ended on this host: the lease binds nobody
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
    if planned_after is not None and journal_mark(history) != planned_after:
        raise WorkspaceBusy(
            f"transaction {history[-1].id} changed this workspace while this deployment was planning; "
            "nothing was written: plan and deploy again",
            subject=f"workspace {workspace}",
            field="transactions",
        )
    process = machine.this_process() if machine is not None else None
    until = clock.now() + uow.lease_term
    if not uow.leases.acquire(workspace, tx.id, until, process=process, user=tx.acting if process else ""):
        # Another runner took the lease between the read above and this write: refused as though its lease
        # had been there when this one looked (this one never held it, so it did not "lose" it).
        winner = uow.leases.get(workspace)
        if winner is None:
            raise WorkspaceBusy(
                "another deployment took this workspace's lease meanwhile and has released it; deploy again",
                subject=f"workspace {workspace}",
                field="lease",
            )
        raise _busy(winner, workspace, machine)


def _busy(lease: Lease, workspace: str, machine: Machine | None) -> WorkspaceBusy:
    """The refusal while `lease`'s holder is deploying: who, until when, and what to do."""
    until = lease.until.isoformat(timespec="seconds")
    holder_host = lease.process.host if lease.process is not None else None
    here = machine is not None and holder_host == machine.this_process().host
    gone = (
        ""  # on this host a gone process is seen: no --force to advise
        if here
        else ", or if its process is gone (killed, lost runner) run "
        f"`fabctl tx recover {lease.holder} --rollback` (or `--resume`) with `--force`"
    )
    return WorkspaceBusy(
        f"{lease.describe()} is deploying to this workspace (its lease runs until {until}); "
        f"deploy again when it has finished{gone}",
        subject=f"workspace {workspace}",
        field="lease",
    )
