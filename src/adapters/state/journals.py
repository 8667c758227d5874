"""What every store that keeps a journal's steps a row each does alike: skip unchanged steps, read old journals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fabctl.adapters.state.blobs import BlobStore
from fabctl.adapters.state.serialization import Document, transaction_from_dict
from fabctl.domain.transaction import Transaction, TransactionStep

StepMark = tuple[str, str, str | None]  # a journal step's outcome, error and item id


class StepMarks:
    """What this process has committed of each journal step, so a save skips unchanged steps.

    Marks staged by a unit of work count only once it commits: a rolled-back save writes them again.
    """

    def __init__(self) -> None:
        self._committed: dict[tuple[str, int], StepMark] = {}
        self._staged: dict[tuple[str, int], StepMark] = {}

    def changed(self, tx: Transaction) -> list[TransactionStep]:
        """The steps of `tx` to write now; their marks are staged."""
        changed = []
        for step in tx.steps:
            # A step changes only in outcome, error and id; its before-image is fixed when journaled.
            mark = (step.outcome.value, step.error, step.item_id)
            key = (tx.id, step.number)
            if self._staged.get(key, self._committed.get(key)) != mark:
                self._staged[key] = mark
                changed.append(step)
        return changed

    def commit(self) -> None:
        self._committed.update(self._staged)
        self._staged.clear()

    def discard(self) -> None:
        self._staged.clear()


def journal_from_document(
    doc: Document, read_steps: Callable[[str], list[dict[str, Any]]], blobs: BlobStore
) -> Transaction:
    """A stored journal header with its steps: read from their rows, unless the journal was written before
    steps had rows (SQLite schema 3 or older, or imported from such a store), which keeps them inline."""
    if "steps" not in doc:
        doc["steps"] = read_steps(doc["id"])
    return transaction_from_dict(doc, blobs)
