"""Environments in promotion order, promotion policies, and deployment plans."""

from __future__ import annotations

import pytest

from fabctl.domain.environments import Environment, PromotionPolicy, ReleaseConfig
from fabctl.domain.errors import UnknownEnvironment
from fabctl.domain.items import ItemKey
from fabctl.domain.plan import ChangeKind, DeploymentPlan, PlannedChange

SOURCE = "config/workspace-config.yaml"
CONFIG = ReleaseConfig((Environment("dev"), Environment("test"), Environment("prod", protected=True)), source=SOURCE)


def test_environment_by_name() -> None:
    assert CONFIG.environment("test") is CONFIG.environments[1]


@pytest.mark.parametrize("name", ["staging", "Prod", ""])
def test_unknown_environment_lists_the_defined_ones(name: str) -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        CONFIG.environment(name)

    assert caught.value.subject == SOURCE
    assert caught.value.field == "environments"
    assert f"'{name}'" in caught.value.message
    for defined in ("dev", "test", "prod"):
        assert defined in caught.value.message


def test_unknown_environment_in_a_config_without_environments_says_so() -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        ReleaseConfig((), source=SOURCE).environment("dev")

    assert caught.value.subject == SOURCE
    assert "none" in caught.value.message


@pytest.mark.parametrize(("name", "expected"), [("dev", "test"), ("test", "prod")])
def test_next_after(name: str, expected: str) -> None:
    assert CONFIG.next_after(name).name == expected


def test_the_last_environment_has_no_next() -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        CONFIG.next_after("prod")

    assert caught.value.subject == SOURCE
    assert caught.value.field == "environments"
    assert "prod" in caught.value.message


def test_next_after_an_unknown_environment_is_refused() -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        CONFIG.next_after("staging")

    assert caught.value.subject == SOURCE


def test_environment_target_prefers_the_workspace_id() -> None:
    assert Environment("dev", workspace_name="Sales DEV", workspace_id="ws-1").target == "ws-1"
    assert Environment("dev", workspace_name="Sales DEV").target == "Sales DEV"


POLICY = PromotionPolicy(default_approvals=1, approvals_by_type={"SemanticModel": 3, "Report": 2})


@pytest.mark.parametrize(
    ("item_types", "expected"),
    [
        ([], 1),  # nothing to promote: the default
        (["Notebook"], 1),  # not listed: the default
        (["Report"], 2),
        (["Notebook", "Report"], 2),
        (["Report", "SemanticModel", "Notebook"], 3),  # the strictest wins
    ],
)
def test_required_approvals_is_the_max_over_item_types(item_types: list[str], expected: int) -> None:
    assert POLICY.required_approvals(item_types) == expected


def test_a_type_can_require_fewer_approvals_than_the_default() -> None:
    lenient = PromotionPolicy(default_approvals=2, approvals_by_type={"Notebook": 1})

    assert lenient.required_approvals(["Notebook"]) == 1
    assert lenient.required_approvals(["Notebook", "Report"]) == 2


def change(kind: ChangeKind, name: str) -> PlannedChange:
    return PlannedChange(kind, ItemKey("Notebook", name), reason=f"{kind.value} {name}")


PLAN = DeploymentPlan(
    environment="test",
    workspace_id="ws-1",
    workspace_name="Sales TEST",
    changes=(
        change(ChangeKind.NO_OP, "A"),
        change(ChangeKind.CREATE, "B"),
        change(ChangeKind.UPDATE, "C"),
        change(ChangeKind.NO_OP, "D"),
        change(ChangeKind.UPDATE, "E"),
        change(ChangeKind.DELETE, "F"),
    ),
)


def test_plan_counts_every_kind_including_absent_ones() -> None:
    assert PLAN.counts() == {"create": 1, "update": 2, "delete": 1, "no-op": 2}
    empty = DeploymentPlan("test", "ws-1", "Sales TEST", ())
    assert empty.counts() == {"create": 0, "update": 0, "delete": 0, "no-op": 0}


def test_plan_summary() -> None:
    assert PLAN.summary() == "1 create, 2 update, 1 delete, 2 no-op"


def test_plan_writes_are_the_changes_that_are_not_no_ops_in_order() -> None:
    assert [c.key.name for c in PLAN.writes] == ["B", "C", "E", "F"]
    assert [c.writes for c in PLAN.changes] == [False, True, True, False, True, True]
