"""The state store: promotion requests, the deployment journal, deployment records, outbox, inbox.

Three adapters implement the `UnitOfWork` port: `InMemoryUnitOfWork` (tests and throwaway runs),
`SqliteUnitOfWork` (the embedded default, one file shared safely by several processes) and
`AzureStorageUnitOfWork` (one table and blob container shared by runners on many machines).
All keep aggregates as the JSON documents `serialization` produces.
"""

from __future__ import annotations

from fabctl.application.errors import ApplicationError


class StateStoreError(ApplicationError):
    """The state store refused or failed an operation (locked too long, corrupt, too new)."""
