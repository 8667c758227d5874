"""The state store: promotion requests, the deployment journal, deployment records, outbox, inbox.

Two adapters implement the `UnitOfWork` port: `InMemoryUnitOfWork` (tests and throwaway runs)
and `SqliteUnitOfWork` (the embedded default, one file shared safely by several processes).
Both keep aggregates as the JSON documents `serialization` produces.
"""

from __future__ import annotations

from fabctl.application.errors import ApplicationError


class StateStoreError(ApplicationError):
    """The state store refused or failed an operation (locked too long, corrupt, too new)."""
