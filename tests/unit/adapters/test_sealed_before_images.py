"""Before-images in the SQLite store hold a secret's name, not its value: the file never has the value, and
a later process loading the journal reads the secret again (at once: what it then reads from Fabric and
journals itself is redacted and sealed too)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.redaction import SecretValues
from fabctl.domain.transaction import ItemImage, StepAction, Transaction

VALUE = "sealed-canary-5b1e"
STORE = {"DB_PASSWORD": VALUE}


class Reads:
    def __init__(self) -> None:
        self.count: Counter[str] = Counter()

    def __call__(self, name: str) -> str:
        self.count[name] += 1
        return STORE[name]


def store(path: Path, reads: Reads) -> SqliteUnitOfWork:
    return SqliteUnitOfWork(path, FixedClock(), SequentialIdGenerator("id"), secrets=SecretValues(reads))


def test_a_sealed_image_is_stored_by_name_and_read_back_whole_by_a_later_process(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = store(path, Reads())
    assert first.secrets is not None
    first.secrets.value("DB_PASSWORD")  # read while binding, in the deploying process
    text = f"password = '{VALUE}'\n"
    image = ItemImage(
        "item-1", "Notebook", "Load", "", "", ItemDefinition.of([DefinitionPart.from_text("nb.py", text)])
    )
    tx = Transaction.start("tx-1", "ws-1", "dev", datetime(2026, 12, 4, tzinfo=UTC), "src")
    tx.record_intent(StepAction.UPDATE, "Load.Notebook", "item-1", image)
    with first:
        first.transactions.add(tx)
        first.commit()

    assert not any(VALUE.encode() in f.read_bytes() for f in tmp_path.glob("state.db*"))  # with its -wal
    later_reads = Reads()
    later = store(path, later_reads)
    with later:
        loaded = later.transactions.get("tx-1")

    assert loaded is not None and loaded.steps[0].before is not None
    part = loaded.steps[0].before.definition.part("nb.py")
    assert part is not None and part.text == text
    assert later_reads.count == Counter({"DB_PASSWORD": 1})
    assert later.secrets is not None and later.secrets.revealed().redact(text) == "password = '$secret:DB_PASSWORD'\n"
