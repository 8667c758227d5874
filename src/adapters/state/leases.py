"""What every state store does the same way when a lease is taken or renewed."""

from __future__ import annotations

from datetime import datetime

from fabctl.application.ports import Lease, ProcessRef


def renewed(
    current: Lease | None,
    workspace_id: str,
    holder: str,
    until: datetime,
    process: ProcessRef | None,
    user: str,
    now: datetime,
) -> Lease:
    """The lease `holder` has after acquiring it: a renewal without holder facts keeps the ones it has."""
    mine = current if current is not None and current.holder == holder else None
    if mine is not None and process is None and not user:
        return Lease(workspace_id, holder, until, mine.process, mine.user, mine.since)
    since = mine.since if mine is not None and mine.process == process else now
    return Lease(workspace_id, holder, until, process, user, since)


def taken(
    current: Lease | None,
    workspace_id: str,
    holder: str,
    until: datetime,
    process: ProcessRef | None,
    user: str,
    now: datetime,
) -> Lease | None:
    """The lease to store when `holder` acquires it, or None when another holds `current` (unexpired)."""
    if current is not None and current.holder != holder:
        return None
    return renewed(current, workspace_id, holder, until, process, user, now)
