"""Saving a deployment's journal with group commit.

Write-ahead journaling needs a step's intent durable before the write it announces. Saving once
per change would serialize every worker on the state store: with dozens of items in flight, the
workers would spend their time queueing for saves. Instead, whoever needs a change durable either
finds it saved already, by a save that began after the change, or saves everything changed so
far, for itself and for everyone who changed something meanwhile. Workers that wait together
cost one save, not one each, and no change is ever reported durable before it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class JournalWriter:
    def __init__(self, save: Callable[[], None], lock: threading.Lock) -> None:
        """`save` writes the whole journal; it is called holding `lock`, which guards the journal."""
        self._save = save
        self._lock = lock
        self._changes = 0  # guarded by `lock`
        self._saved = 0  # guarded by `_saving`
        self._saving = threading.Lock()  # one save at a time

    def changed(self) -> int:
        """Count a change just made to the journal (the caller holds `lock`); returns its number."""
        self._changes += 1
        return self._changes

    def make_durable(self, change: int) -> None:
        """Return once change number `change` is saved. The caller must not hold `lock`."""
        with self._saving:  # a save under way may cover this change: wait for it, then look
            if self._saved >= change:
                return
            with self._lock:
                covered = self._changes
                self._save()
            self._saved = covered
