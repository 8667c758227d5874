"""State stores that fail on cue: the crash between a relay's send and its mark, without a crash."""

from __future__ import annotations

from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.memory import InMemoryUnitOfWork


class MarkFailsOnce(InMemoryUnitOfWork):
    """A store whose next commit fails once `fail_next_commit` is set: a crash between send and mark."""

    fail_next_commit = False

    def _commit(self) -> None:
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise StateStoreError("the state store went away before the relay marked its messages")
        super()._commit()
