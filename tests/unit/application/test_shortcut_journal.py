"""A journaled shortcut write undone exactly: by a rollback (after a crash left its outcome unknown)
and through the journal's JSON (the state store keeps steps as documents)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.state.serialization import step_to_dict, transaction_from_dict, transaction_to_dict
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.deployment.rollback import roll_back
from fabctl.application.handlers.recovery import resolve_pending
from fabctl.domain.shortcuts import Shortcut, ShortcutWrite
from fabctl.domain.transaction import StepAction, StepOutcome, Transaction, TransactionState


@pytest.fixture
def gateway() -> Iterator[LocalFabricGateway]:
    with FabricTenant.in_memory() as tenant:
        yield LocalFabricGateway(tenant)


def _shortcut(ws: str, item: str, target: str, name: str = "sales") -> Shortcut:
    return Shortcut("Tables", name, {"oneLake": {"workspaceId": ws, "itemId": item, "path": target}})


def test_a_pending_shortcut_write_is_rolled_back_to_what_it_replaced(gateway: LocalFabricGateway) -> None:
    ws = gateway.create_workspace("Dev").id
    bronze = gateway.create_item(ws, "Lakehouse", "Bronze").id
    silver = gateway.create_item(ws, "Lakehouse", "Silver").id
    before = gateway.put_shortcut(ws, silver, _shortcut(ws, bronze, "Tables/sales"))
    after = _shortcut(ws, bronze, "Tables/orders")
    created = _shortcut(ws, bronze, "Tables/new", name="new")
    clock = FixedClock()
    tx = Transaction.start("tx-1", ws, "dev", clock.now())
    updated = tx.record_intent(StepAction.SHORTCUT, "Silver.Lakehouse", silver, None,
                               shortcut=ShortcutWrite("Tables", "sales", before, after))  # fmt: skip
    made = tx.record_intent(StepAction.SHORTCUT, "Silver.Lakehouse", silver, None,
                            shortcut=ShortcutWrite("Tables", "new", None, created))  # fmt: skip
    gateway.put_shortcut(ws, silver, after)  # both writes landed, then the process died
    gateway.put_shortcut(ws, silver, created)

    lines = resolve_pending(tx, gateway)
    assert [s.outcome for s in tx.steps] == [StepOutcome.SUCCEEDED, StepOutcome.SUCCEEDED]
    assert len(lines) == 2 and all("shortcut" in line for line in lines)

    uow = InMemoryUnitOfWork(clock, SequentialIdGenerator())
    roll_back(tx, gateway, uow, clock)

    assert tx.state is TransactionState.ROLLED_BACK
    assert [s.outcome for s in tx.steps] == [StepOutcome.UNDONE, StepOutcome.UNDONE]
    assert (updated.number, made.number) == (1, 2)
    assert gateway.list_shortcuts(ws, silver) == [before]


def test_a_shortcut_step_survives_the_journal_document() -> None:
    tx = Transaction.start("tx-2", "ws", "dev", FixedClock().now())
    landing = Shortcut("Files/raw", "landing", {"oneLake": {"workspaceId": "ws", "itemId": "lake", "path": "Files/in"}})
    write = ShortcutWrite("Files/raw", "landing", None, landing)
    tx.record_intent(StepAction.SHORTCUT, "Silver.Lakehouse", "lake", None, shortcut=write)
    assert step_to_dict(tx.steps[0], None)["shortcut"]["after"]["path"] == "Files/raw"
    assert transaction_from_dict(transaction_to_dict(tx)).steps[0].shortcut == write
