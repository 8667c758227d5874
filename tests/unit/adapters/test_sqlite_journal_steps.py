"""The SQLite store keeps a journal's steps a row each and writes only the steps that changed.

Checked on the file itself (with the sqlite3 module), not through the code under test.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.transaction import ItemImage, StepAction, StepOutcome, Transaction


def store(path: Path) -> SqliteUnitOfWork:
    return SqliteUnitOfWork(path, FixedClock(), SequentialIdGenerator())


def journal(clock: FixedClock, steps: int) -> Transaction:
    tx = Transaction.start("tx-1", "ws-1", "dev", clock.now(), "src")
    for n in range(steps):
        before = ItemImage("id", "Notebook", f"N{n}", "", "", ItemDefinition.of([DefinitionPart("a.py", b"x")]))
        step = tx.record_intent(StepAction.UPDATE, f"N{n}.Notebook", f"id-{n}", before)
        tx.record_success(step.number, f"id-{n}")
    return tx


def rows(path: Path) -> dict[int, dict[str, object]]:
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT number, body FROM transaction_steps WHERE transaction_id = 'tx-1'").fetchall()
    return {number: json.loads(body) for number, body in found}


def save(uow: SqliteUnitOfWork, tx: Transaction) -> None:
    with uow:
        uow.transactions.add(tx)
        uow.commit()


def test_saving_writes_only_the_steps_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    uow = store(path)
    tx = journal(FixedClock(), 3)
    save(uow, tx)
    with sqlite3.connect(path) as db:  # a step changed behind the store's back must stay as it is
        db.execute("UPDATE transaction_steps SET body = json_set(body, '$.error', 'sentinel') WHERE number = 1")

    tx.record_intent(StepAction.DELETE, "Old.Notebook", "id-9", None)
    save(uow, tx)

    stored = rows(path)
    assert sorted(stored) == [1, 2, 3, 4]
    assert stored[1]["error"] == "sentinel"  # not written again: it had not changed
    assert stored[4]["outcome"] == StepOutcome.PENDING.value


def test_a_journal_reads_back_whole_from_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    tx = journal(FixedClock(), 2)
    save(store(path), tx)

    with store(path) as uow:
        loaded = uow.transactions.get("tx-1")

    assert loaded is not None
    assert [(s.number, s.item, s.outcome, s.before) for s in loaded.steps] == [
        (s.number, s.item, s.outcome, s.before) for s in tx.steps
    ]
    with sqlite3.connect(path) as db:
        (body,) = db.execute("SELECT body FROM transactions WHERE id = 'tx-1'").fetchone()
    assert "steps" not in json.loads(body)


def test_steps_of_a_unit_of_work_that_rolled_back_are_written_again(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    uow = store(path)
    tx = journal(FixedClock(), 2)
    with pytest.raises(RuntimeError), uow:
        uow.transactions.add(tx)
        raise RuntimeError("the unit of work fails before it commits")

    save(uow, tx)

    assert sorted(rows(path)) == [1, 2]


def test_a_journal_written_before_steps_had_rows_is_read_and_then_moved_to_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    tx = journal(FixedClock(), 2)
    save(store(path), tx)
    with sqlite3.connect(path) as db:  # as an older fabctl left it: the steps inside the body
        (body,) = db.execute("SELECT body FROM transactions WHERE id = 'tx-1'").fetchone()
        steps = [json.loads(b) for (b,) in db.execute("SELECT body FROM transaction_steps ORDER BY number")]
        db.execute("DELETE FROM transaction_steps")
        db.execute("UPDATE transactions SET body = ?", (json.dumps({**json.loads(body), "steps": steps}),))

    with store(path) as uow:
        old = uow.transactions.get("tx-1")
        assert old is not None
        assert [s.item for s in old.steps] == ["N0.Notebook", "N1.Notebook"]
        uow.commit()  # saves what it loaded: in the new layout
    assert sorted(rows(path)) == [1, 2]
