"""Plan entries for moves and drift (the journal's move step: test_transaction_state_machine.py)."""

from __future__ import annotations

from fabctl.domain.items import ItemKey
from fabctl.domain.plan import ChangeKind, DeploymentPlan, PlannedChange


def test_drifted_lists_only_changes_marked_as_drift_and_moves_count_as_updates() -> None:
    moved = PlannedChange(ChangeKind.UPDATE, ItemKey("Notebook", "A"), "folder differs", "id-a", folder="x/y")
    drifted = PlannedChange(ChangeKind.UPDATE, ItemKey("Notebook", "B"), "drift", "id-b", ("p",), drift=True)
    same = PlannedChange(ChangeKind.NO_OP, ItemKey("Notebook", "C"), "unchanged", "id-c")

    plan = DeploymentPlan("dev", "ws", "Sales (dev)", (moved, drifted, same))

    assert plan.drifted == (drifted,)
    assert plan.writes == (moved, drifted)
    assert plan.counts() == {"create": 0, "update": 2, "delete": 0, "no-op": 1}
