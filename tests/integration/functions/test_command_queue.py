"""The command queue trigger: each command kind carried out, and every message settled as the policy says.

The trigger returns to have the host complete a message and raises `MessageNotCompleted` to have it
abandoned (the settlement the policy chose rides on the exception; see queue.py for why).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from function_calls import command, function, service_bus_message

from fabctl.application.queries import get_promotion, list_transactions
from fabctl.domain.promotion import PromotionRequest
from fabctl.entrypoints.functions.queue import MessageNotCompleted
from fabctl.entrypoints.messages.settlement import Settlement, Verdict

from .conftest import Site

ALICE, BOB, CAROL = "alice@contoso.com", "bob@contoso.com", "carol@contoso.com"


def send(body: object, message_id: str, actor: str | None) -> None:
    function("command_message")(service_bus_message(body, message_id, actor))


def not_completed(body: object, message_id: str, actor: str | None = BOB) -> Settlement:
    with pytest.raises(MessageNotCompleted) as raised:
        send(body, message_id, actor)
    return raised.value.settlement


def requested(site: Site, message_id: str = "request-1") -> PromotionRequest:
    site.deploy("dev", "deploy-dev")
    send(command("RequestPromotion", source_dir=site.source, source_environment="dev"), message_id, ALICE)
    (request,) = [p for p in _promotions(site) if p.requested_by.user == "alice"]
    return request


def _promotions(site: Site) -> list[PromotionRequest]:
    with site.app.uow as uow:
        return uow.promotions.list()


def test_a_deployment_message_deploys_as_its_actor(site: Site) -> None:
    site.deploy("dev", "deploy-dev")

    (tx,) = list_transactions(site.app.uow)
    assert (tx.environment, tx.state.value, tx.acting) == ("dev", "committed", "ci@contoso.com")


def test_request_and_two_approvals_by_message_deploy_once_even_when_every_message_is_redelivered(site: Site) -> None:
    request = requested(site)
    send(command("RequestPromotion", source_dir=site.source, source_environment="dev"), "request-1", ALICE)
    approvals = [
        (command("ApprovePromotion", request_id=request.id, comment="first"), "approve-bob", BOB),
        (command("ApprovePromotion", request_id=request.id), "approve-carol", CAROL),
    ]

    for body, message_id, actor in approvals + approvals:  # each delivered twice, as at-least-once allows
        send(body, message_id, actor)

    done = get_promotion(site.app.uow, request.id)
    assert len(_promotions(site)) == 1
    assert done.state.value == "succeeded"
    assert [str(a.approver) for a in done.approvals] == [BOB, CAROL]
    assert [t.environment for t in list_transactions(site.app.uow)] == ["dev", "test"]


def test_a_reject_message_rejects(site: Site) -> None:
    request = requested(site)

    send(command("RejectPromotion", request_id=request.id, reason="not this week"), "reject-1", BOB)

    rejected = get_promotion(site.app.uow, request.id)
    assert (rejected.state.value, rejected.reason) == ("rejected", "not this week")


def test_a_cancel_message_by_the_requester_cancels(site: Site) -> None:
    request = requested(site)

    send(command("CancelPromotion", request_id=request.id), "cancel-1", ALICE)

    assert get_promotion(site.app.uow, request.id).state.value == "cancelled"


def test_a_domain_refusal_is_dead_lettered_with_the_domains_words(site: Site) -> None:
    request = requested(site)
    send(command("RejectPromotion", request_id=request.id, reason="no"), "reject-1", BOB)

    settlement = not_completed(command("ApprovePromotion", request_id=request.id), "approve-late", CAROL)

    assert settlement.verdict is Verdict.DEAD_LETTER and settlement.reason == "IllegalTransition"
    assert "cannot approve a request that is rejected" in settlement.description
    assert get_promotion(site.app.uow, request.id).approvals == []


def test_a_recover_message_for_a_finished_transaction_is_dead_lettered(site: Site) -> None:
    site.deploy("dev", "deploy-dev")
    (tx,) = list_transactions(site.app.uow)

    settlement = not_completed(command("RecoverTransaction", transaction_id=tx.id, mode="resume"), "recover-1")
    unknown = not_completed(command("RecoverTransaction", transaction_id="no-such", mode="rollback"), "recover-2")

    assert (settlement.verdict, settlement.reason) == (Verdict.DEAD_LETTER, "IllegalTransition")
    assert "is committed: there is nothing to resume" in settlement.description
    assert (unknown.verdict, unknown.reason) == (Verdict.DEAD_LETTER, "NotFound")


@pytest.mark.parametrize(
    ("body", "actor", "reason", "named"),
    [
        (b"{not json", BOB, "InvalidJson", "not UTF-8 JSON"),
        (b"\xff\xfe", BOB, "InvalidJson", "not UTF-8 JSON"),
        (command("PromoteEverything"), BOB, "UnknownCommand", "field 'command'"),
        ({"command": "CancelPromotion", "version": 2, "data": {"request_id": "r"}}, BOB, "InvalidCommand", "'version'"),
        (command("CancelPromotion", request_id="r", extra=1), BOB, "InvalidCommand", "field 'data.extra'"),
        (command("RejectPromotion", request_id="r"), BOB, "InvalidCommand", "field 'data.reason'"),
        (command("ExecuteDeployment", source_dir="s", environment="dev", max_workers=0), BOB, "InvalidCommand",
         "field 'data.max_workers'"),
        (command("CancelPromotion", request_id="r", cancelled_by=ALICE), BOB, "ActorInBody", "'data.cancelled_by'"),
        (command("CancelPromotion", request_id="r"), None, "MissingActor", "'fabctl-actor'"),
        (command("CancelPromotion", request_id="r"), "b\u043eb", "InvalidActor", "fabctl-actor"),
    ],
    ids=["not-json", "not-utf8", "unknown-command", "wrong-version", "unknown-field", "missing-field",
         "out-of-range", "actor-in-body", "no-actor", "confusable-actor"],
)  # fmt: skip
def test_a_malformed_message_is_dead_lettered_with_its_reason(
    site: Site, body: object, actor: str | None, reason: str, named: str
) -> None:
    settlement = not_completed(body, "bad-1", actor)

    assert (settlement.verdict, settlement.reason) == (Verdict.DEAD_LETTER, reason)
    assert named in settlement.description
    assert _promotions(site) == [] and list_transactions(site.app.uow) == []


def test_a_deployment_while_a_live_holder_has_the_workspace_is_abandoned_for_redelivery(site: Site) -> None:
    site.deploy("dev", "deploy-dev")
    app = site.app
    (first,) = list_transactions(app.uow)
    with app.uow as uow:  # a deployment running in this very process holds the workspace
        held = uow.leases.acquire(first.workspace_id, "tx-running", app.clock.now() + timedelta(minutes=5),
                                  process=app.machine.this_process(), user="someone")  # fmt: skip
        uow.commit()
    assert held

    settlement = not_completed(command("ExecuteDeployment", source_dir=site.source, environment="dev"), "deploy-2")

    assert (settlement.verdict, settlement.reason) == (Verdict.ABANDON, "WorkspaceBusy")
    assert "tx-running" in settlement.description
    assert [t.id for t in list_transactions(app.uow)] == [first.id]  # nothing started: the redelivery will
