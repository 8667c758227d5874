"""The settlement policy: never retry what cannot succeed, retry what may, and bound the unexpected."""

from __future__ import annotations

import pytest

from fabctl.application.errors import AccessDenied, ConcurrencyConflict, GatewayError
from fabctl.domain.errors import IllegalTransition, InvalidSource, NotFound, PromotionRuleViolation
from fabctl.domain.transaction import UnfinishedTransaction, WorkspaceBusy
from fabctl.entrypoints.messages.envelope import CommandRejected
from fabctl.entrypoints.messages.settlement import Settlement, Verdict, settlement_for


def test_success_completes() -> None:
    assert settlement_for(None) == Settlement(Verdict.COMPLETE)


def test_a_rejected_message_is_dead_lettered_with_its_reason_and_description() -> None:
    settled = settlement_for(CommandRejected("UnknownCommand", "field 'command': unknown command 'X'"))

    assert settled == Settlement(Verdict.DEAD_LETTER, "UnknownCommand", "field 'command': unknown command 'X'")


@pytest.mark.parametrize(
    "error",
    [
        IllegalTransition("cannot approve a request that is rejected", subject="promotion request r", field="state"),
        NotFound("no such promotion request", subject="promotion request r", field="id"),
        PromotionRuleViolation("requested this promotion and cannot approve it", field="approver"),
        InvalidSource("bad item folder"),
        AccessDenied("403 Forbidden"),
    ],
)
def test_a_refusal_no_retry_can_change_is_dead_lettered_in_the_errors_words(error: Exception) -> None:
    settled = settlement_for(error)

    assert settled.verdict is Verdict.DEAD_LETTER
    assert settled.reason == type(error).__name__ and settled.description == str(error)


@pytest.mark.parametrize(
    "error",
    [
        WorkspaceBusy("transaction t is deploying to this workspace"),
        UnfinishedTransaction("transaction t on this workspace is unfinished"),
        GatewayError("connection refused"),
        ConcurrencyConflict("changed meanwhile", subject="promotion p"),
    ],
)
def test_a_failure_that_may_pass_is_abandoned_for_redelivery(error: Exception) -> None:
    settled = settlement_for(error)

    assert (settled.verdict, settled.reason) == (Verdict.ABANDON, type(error).__name__)


def test_an_unexpected_error_is_abandoned_without_its_text() -> None:
    settled = settlement_for(KeyError("secret-ish detail"))

    assert (settled.verdict, settled.reason) == (Verdict.ABANDON, "UnexpectedError")
    assert "secret-ish" not in settled.description and "KeyError" in settled.description


def test_a_long_description_is_cut_to_what_a_dead_letter_keeps() -> None:
    settled = settlement_for(InvalidSource("x" * 5000))

    assert len(settled.description) == 1024
