"""Plan entries for moves and drift, and the journal's move step."""

from __future__ import annotations

from fabctl.domain.items import ItemKey
from fabctl.domain.plan import ChangeKind, DeploymentPlan, PlannedChange
from fabctl.domain.transaction import StepAction


def test_drifted_lists_only_changes_marked_as_drift_and_moves_count_as_updates() -> None:
    moved = PlannedChange(ChangeKind.UPDATE, ItemKey("Notebook", "A"), "folder differs", "id-a", folder="x/y")
    drifted = PlannedChange(ChangeKind.UPDATE, ItemKey("Notebook", "B"), "drift", "id-b", ("p",), drift=True)
    same = PlannedChange(ChangeKind.NO_OP, ItemKey("Notebook", "C"), "unchanged", "id-c")

    plan = DeploymentPlan("dev", "ws", "Sales (dev)", (moved, drifted, same))

    assert plan.drifted == (drifted,)
    assert plan.writes == (moved, drifted)
    assert plan.counts() == {"create": 0, "update": 2, "delete": 0, "no-op": 1}


def test_move_is_a_journal_action() -> None:
    assert StepAction("move") is StepAction.MOVE
