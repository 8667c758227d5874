"""What every state store does the same way when a lease is taken or renewed."""

from __future__ import annotations

from datetime import datetime

from fabctl.application.ports import Lease, ProcessRef


def taken(
    current: Lease | None,
    workspace_id: str,
    holder: str,
    until: datetime,
    process: ProcessRef | None,
    user: str,
    now: datetime,
) -> Lease | None:
    """The lease to store when `holder` acquires it, or None when another holds `current` (unexpired).

    A renewal without holder facts keeps the ones it has, and `since` stays while the process does.
    """
    if current is not None and current.holder != holder:
        return None
    if current is not None and process is None and not user:  # current is holder's own here
        return Lease(workspace_id, holder, until, current.process, current.user, current.since)
    since = current.since if current is not None and current.process == process else now
    return Lease(workspace_id, holder, until, process, user, since)
