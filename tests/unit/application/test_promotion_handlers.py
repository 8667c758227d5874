"""Promotion requests through bootstrap() with in-memory adapters: rules, idempotency, deployment."""

from __future__ import annotations

import pytest

from fabctl.application.queries import get_promotion
from fabctl.domain.commands import (
    ApprovePromotion,
    CancelPromotion,
    ExecuteDeployment,
    RejectPromotion,
    RequestPromotion,
)
from fabctl.domain.errors import IllegalTransition, NotFound, PromotionRuleViolation
from fabctl.domain.promotion import PromotionRequest

from .world import SOURCE, World, source_items


def deploy_to(world: World, env: str) -> None:
    result = world.app.bus.handle(ExecuteDeployment(f"deploy-{env}", SOURCE, env, "ci"))
    assert result.succeeded


def request(world: World, source_env: str = "dev", message_id: str = "req-1", **kw: object) -> PromotionRequest:
    command = RequestPromotion(message_id, SOURCE, source_env, "alice", **kw)  # type: ignore[arg-type]
    return world.app.bus.handle(command)  # type: ignore[no-any-return]


def current(world: World, request_id: str) -> PromotionRequest:
    return get_promotion(world.app.uow, request_id)


def test_an_approved_promotion_is_deployed_to_the_next_environment(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    assert opened.target_environment == "test" and opened.required_approvals == 1

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob", "looks good"))

    done = current(world, opened.id)
    assert done.state.value == "succeeded"
    assert done.transaction_id is not None
    assert set(world.workspace_items("Sales (test)")) == set(world.workspace_items("Sales (dev)"))
    notebook = world.definition_text("Sales (test)", "Load Sales.Notebook", "notebook-content.py")
    assert "abfss://test@onelake" in notebook
    assert [e.action for e in done.audit] == ["requested", "approved", "deploying", "succeeded"]
    types = world.event_types()
    for expected in ("PromotionRequested", "ApprovalRecorded", "PromotionApproved", "PromotionDeploying",
                     "TransactionCommitted", "PromotionSucceeded"):  # fmt: skip
        assert expected in types
    assert types.index("PromotionApproved") < types.index("PromotionDeploying") < types.index("PromotionSucceeded")


def test_the_requester_cannot_approve_and_nothing_changes(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(ApprovePromotion("app-1", opened.id, "alice"))

    assert caught.value.subject == f"promotion request {opened.id}" and caught.value.field == "approver"
    after = current(world, opened.id)
    assert after.state.value == "requested" and after.approvals == [] and len(after.audit) == 1


def test_approving_twice_is_refused(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    with pytest.raises(IllegalTransition) as caught:
        world.app.bus.handle(ApprovePromotion("app-2", opened.id, "carol"))

    assert caught.value.field == "state" and opened.id in caught.value.subject


def test_promoting_into_prod_needs_two_approvers_for_a_semantic_model(world: World) -> None:
    deploy_to(world, "dev")
    to_test = request(world)
    world.app.bus.handle(ApprovePromotion("app-1", to_test.id, "bob"))
    to_prod = request(world, "test", message_id="req-2")
    assert to_prod.required_approvals == 2

    world.app.bus.handle(ApprovePromotion("app-2", to_prod.id, "bob"))
    assert current(world, to_prod.id).state.value == "requested"
    with pytest.raises(PromotionRuleViolation):
        world.app.bus.handle(ApprovePromotion("app-3", to_prod.id, "bob"))
    world.app.bus.handle(ApprovePromotion("app-4", to_prod.id, "carol"))

    assert current(world, to_prod.id).state.value == "succeeded"
    assert len(world.workspace_items("Sales (prod)")) == 4


def test_a_redelivered_approval_counts_once(world: World) -> None:
    deploy_to(world, "dev")
    deploy_to(world, "test")
    to_prod = request(world, "test")

    world.app.bus.handle(ApprovePromotion("same-message", to_prod.id, "bob"))
    world.app.bus.handle(ApprovePromotion("same-message", to_prod.id, "bob"))

    after = current(world, to_prod.id)
    assert [a.approver for a in after.approvals] == ["bob"] and after.state.value == "requested"


def test_a_redelivered_request_opens_one_request(world: World) -> None:
    deploy_to(world, "dev")

    request(world, message_id="same")
    request(world, message_id="same")

    with world.app.uow as uow:
        assert len(uow.promotions.list()) == 1


def test_items_not_deployed_to_the_source_environment_cannot_be_promoted(world: World) -> None:
    with pytest.raises(PromotionRuleViolation) as caught:
        request(world)

    assert caught.value.field == "items" and "deploy it there first" in caught.value.message
    with world.app.uow as uow:
        assert uow.promotions.list() == []


def test_content_changed_after_the_request_fails_the_promotion(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    world.set_source(source_items(notebook_extra="# not what was approved\n"))

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert after.state.value == "failed" and "changed in the source" in after.reason
    assert world.app.gateway.find_workspace("Sales (test)") is None


def test_rejected_and_cancelled_requests_cannot_be_approved(world: World) -> None:
    deploy_to(world, "dev")
    rejected = request(world, message_id="r1")
    cancelled = request(world, message_id="r2")
    world.app.bus.handle(RejectPromotion("rej", rejected.id, "bob", "not now"))
    world.app.bus.handle(CancelPromotion("can", cancelled.id, "alice"))

    for request_id in (rejected.id, cancelled.id):
        with pytest.raises(IllegalTransition):
            world.app.bus.handle(ApprovePromotion(f"a-{request_id}", request_id, "carol"))
    assert current(world, rejected.id).reason == "not now"
    assert current(world, cancelled.id).state.value == "cancelled"


def test_an_unknown_request_is_named_in_the_error(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        world.app.bus.handle(ApprovePromotion("a", "no-such-id", "bob"))

    assert caught.value.subject == "promotion request no-such-id"


def test_the_target_must_be_the_next_environment(world: World) -> None:
    deploy_to(world, "dev")

    with pytest.raises(PromotionRuleViolation) as caught:
        request(world, target_environment="prod")

    assert "promotes to 'test'" in caught.value.message
