"""Promotion requests through bootstrap() with in-memory adapters: rules, idempotency, deployment."""

from __future__ import annotations

import dataclasses

import pytest

from fabctl.application.errors import GatewayError
from fabctl.application.queries import get_promotion
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.commands import (
    ApprovePromotion,
    CancelPromotion,
    ExecuteDeployment,
    RejectPromotion,
    RequestPromotion,
)
from fabctl.domain.errors import IllegalTransition, NotFound, PromotionRuleViolation
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.workspace import Workspace

from .world import CONFIG, SOURCE, World, release_config, source_items


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
    assert [str(a.approver) for a in after.approvals] == ["bob"] and after.state.value == "requested"


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


def test_content_changed_after_the_request_refuses_the_approval(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    world.set_source(source_items(notebook_extra="# not what was approved\n"))

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    assert caught.value.field == "terms" and "Load Sales.Notebook content: changed" in caught.value.message
    after = current(world, opened.id)
    assert after.state.value == "requested" and after.approvals == []
    assert world.app.gateway.find_workspace("Sales (test)") is None


def test_configuration_changed_after_the_request_refuses_the_approval_naming_the_difference(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    config = release_config()
    retargeted = dataclasses.replace(config.environment("test"), workspace_name="Sales (prod)")
    world.reader.configs[CONFIG] = dataclasses.replace(config, environments=(config.environments[0], retargeted,
                                                                              config.environments[2]))  # fmt: skip

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    assert 'environments.test.workspace: "Sales (test)" -> "Sales (prod)"' in caught.value.message
    assert current(world, opened.id).approvals == []
    assert world.app.gateway.find_workspace("Sales (prod)") is None


def test_a_change_between_the_approval_and_the_deployment_fails_the_promotion(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    read = world.reader.read_workspace
    reads: list[str] = []

    def read_then_change(path: str) -> Workspace:
        source = read(path)
        reads.append(path)
        if len(reads) == 1:  # the approval's read: the deployment's, right after, sees the change
            world.set_source(source_items(notebook_extra="# slipped in after the approval\n"))
        return source

    world.reader.read_workspace = read_then_change  # type: ignore[method-assign]
    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert len(reads) == 2
    assert after.state.value == "failed" and "Load Sales.Notebook content: changed" in after.reason
    assert [e.action for e in after.audit] == ["requested", "approved", "deploying", "failed"]
    assert world.app.gateway.find_workspace("Sales (test)") is None


def test_a_target_name_that_resolves_to_another_workspace_fails_the_promotion(world: World) -> None:
    deploy_to(world, "dev")
    deploy_to(world, "test")
    deploy_to(world, "prod")
    opened = request(world)
    prod = world.app.gateway.find_workspace("Sales (prod)")
    find = world.gateway.find_workspace
    # "Sales (test)" now names the production workspace (say, renamed in the portal).
    world.gateway.find_workspace = lambda name: prod if name == "Sales (test)" else find(name)  # type: ignore[method-assign]
    with world.app.uow as uow:
        before = len(uow.transactions.summaries(prod.id))  # type: ignore[union-attr]

    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert after.state.value == "failed" and "environments.test now resolves to workspace" in after.reason
    with world.app.uow as uow:
        assert len(uow.transactions.summaries(prod.id)) == before  # type: ignore[union-attr]


def test_a_gateway_error_outside_any_item_fails_the_promotion_and_publishes_it(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)

    def unavailable(name: str) -> None:
        raise GatewayError("The service is unavailable", error_code="ServiceUnavailable", status=503)

    world.gateway.find_workspace = unavailable  # type: ignore[method-assign]
    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert after.state.value == "failed" and "ServiceUnavailable" in after.reason
    assert "PromotionFailed" in world.event_types()


def test_an_unexpected_error_fails_the_promotion_too(world: World, caplog: pytest.LogCaptureFixture) -> None:
    deploy_to(world, "dev")
    deploy_to(world, "test")  # so that the deployment lists the items of the test workspace
    opened = request(world)

    def broken(workspace_id: str) -> None:
        raise RuntimeError("a bug")

    world.gateway.list_items = broken  # type: ignore[method-assign]
    world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert after.state.value == "failed" and after.reason.startswith("internal error RuntimeError: a bug")
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(logged) == 1 and opened.id in logged[0].getMessage()
    with pytest.raises(IllegalTransition) as caught:
        world.app.bus.handle(ApprovePromotion("app-2", opened.id, "carol"))
    assert "cannot approve a request that is failed" in caught.value.message


def test_an_interrupted_deployment_fails_the_promotion_and_the_interrupt_goes_on(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)

    def interrupted(name: str) -> None:
        raise KeyboardInterrupt

    world.gateway.find_workspace = interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    after = current(world, opened.id)
    assert after.state.value == "failed" and after.reason.startswith("interrupted (KeyboardInterrupt)")


def test_a_request_stored_before_terms_were_pinned_and_the_trail_chained_cannot_be_approved(world: World) -> None:
    deploy_to(world, "dev")
    opened = request(world)
    with world.app.uow as uow:  # as a request stored by an older fabctl reads back: no terms, no chain
        stored = uow.promotions.get(opened.id)
        assert stored is not None
        stored.terms = ApprovalTerms()
        stored.audit = [dataclasses.replace(e, previous="", state="", hash="") for e in stored.audit]
        uow.commit()

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(ApprovePromotion("app-1", opened.id, "bob"))

    assert "the trail is not chained" in caught.value.message and "open a new request" in caught.value.message


def test_names_are_compared_as_identities(world: World) -> None:
    deploy_to(world, "dev")
    deploy_to(world, "test")
    to_prod = request(world, "test")  # by alice; needs two approvers

    for spelling in ("ALICE", " alice", "CONTOSO\\alice"):
        with pytest.raises(PromotionRuleViolation, match="separation of duties"):
            world.app.bus.handle(ApprovePromotion(f"a-{spelling}", to_prod.id, spelling))
    world.app.bus.handle(ApprovePromotion("b-1", to_prod.id, "bob@contoso.com"))
    for spelling in ("Bob", "CONTOSO\\BOB", "contoso.com\\bob"):
        with pytest.raises(PromotionRuleViolation, match="has already approved"):
            world.app.bus.handle(ApprovePromotion(f"b-{spelling}", to_prod.id, spelling))

    after = current(world, to_prod.id)
    assert after.state.value == "requested" and [str(a.approver) for a in after.approvals] == ["bob@contoso.com"]


def test_only_the_requester_or_an_approver_may_cancel(world: World) -> None:
    deploy_to(world, "dev")
    deploy_to(world, "test")
    by_requester, by_approver, by_stranger = (request(world, "test", message_id=f"r{i}") for i in range(3))
    world.app.bus.handle(ApprovePromotion("a1", by_approver.id, "bob"))

    with pytest.raises(PromotionRuleViolation) as caught:
        world.app.bus.handle(CancelPromotion("c0", by_stranger.id, "mallory"))
    world.app.bus.handle(CancelPromotion("c1", by_requester.id, "Alice"))
    world.app.bus.handle(CancelPromotion("c2", by_approver.id, "BOB"))

    assert caught.value.field == "cancelled_by"
    states = [current(world, r.id).state.value for r in (by_requester, by_approver, by_stranger)]
    assert states == ["cancelled", "cancelled", "requested"]


def test_rejected_and_cancelled_requests_cannot_be_approved(world: World) -> None:
    deploy_to(world, "dev")
    rejected = request(world, message_id="r1")
    cancelled = request(world, message_id="r2")
    world.app.bus.handle(RejectPromotion("rej", rejected.id, "bob", "not now"))
    world.app.bus.handle(CancelPromotion("can", cancelled.id, "alice"))  # the requester

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
