"""The command envelope: JSON in, the domain command out, or one CommandRejected naming the field."""

from __future__ import annotations

import json

import pytest

from fabctl.domain.commands import ApprovePromotion, ExecuteDeployment, RecoverTransaction, RequestPromotion
from fabctl.entrypoints.messages.envelope import CommandRejected, parse_command


def body(command: str, **data: object) -> bytes:
    return json.dumps({"command": command, "version": 1, "data": data}).encode()


def rejected(raw: bytes, actor: str | None = "bob", message_id: str = "m-1") -> CommandRejected:
    with pytest.raises(CommandRejected) as caught:
        parse_command(raw, message_id, actor)
    return caught.value


def test_the_message_id_and_the_actor_become_the_commands() -> None:
    command = parse_command(body("ApprovePromotion", request_id="r-1", comment="ok"), "sb-42", "CONTOSO\\Bob")

    assert command == ApprovePromotion("sb-42", "r-1", "contoso\\bob", "ok")


def test_every_option_of_a_deployment_is_carried_and_lists_become_tuples() -> None:
    command = parse_command(
        body("ExecuteDeployment", source_dir="s", environment="dev", items=["A.Notebook"], on_error="continue",
             max_workers=3, refresh=True),
        "m-1", "ci",
    )  # fmt: skip

    assert command == ExecuteDeployment("m-1", "s", "dev", "ci", items=("A.Notebook",), on_error="continue",
                                        max_workers=3, refresh=True)  # fmt: skip


def test_a_request_and_a_recovery_are_parsed() -> None:
    request = parse_command(body("RequestPromotion", source_dir="s", source_environment="dev"), "m-1", "alice")
    recovery = parse_command(body("RecoverTransaction", transaction_id="t", mode="rollback"), "m-2", "ops")

    assert request == RequestPromotion("m-1", "s", "dev", "alice")
    assert recovery == RecoverTransaction("m-2", "t", "rollback", requested_by="ops")


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        (b"", "InvalidJson", ""),
        (b"[]", "InvalidCommand", ""),
        (json.dumps({"command": "ApprovePromotion", "data": {}}).encode(), "InvalidCommand", "version"),
        (json.dumps({"command": "X", "version": 1, "data": {}, "more": 1}).encode(), "InvalidCommand", "more"),
        (body("Deploy"), "UnknownCommand", "command"),
        (body("ApprovePromotion"), "InvalidCommand", "data.request_id"),
        (body("ApprovePromotion", request_id="r", approver="eve"), "ActorInBody", "data.approver"),
        (body("RecoverTransaction", transaction_id="t", mode="undo"), "InvalidCommand", "data.mode"),
        (body("ExecuteDeployment", source_dir="s", environment="dev", items="A"), "InvalidCommand", "data.items"),
    ],
)
def test_a_bad_message_is_rejected_naming_the_field(raw: bytes, reason: str, field: str) -> None:
    error = rejected(raw)

    assert (error.reason, error.field) == (reason, field)
    if field:
        assert f"'{field}'" in error.description


def test_a_message_without_an_id_or_an_actor_is_rejected() -> None:
    assert rejected(body("CancelPromotion", request_id="r"), message_id=" ").reason == "MissingMessageId"
    assert rejected(body("CancelPromotion", request_id="r"), actor=None).reason == "MissingActor"
    assert rejected(body("CancelPromotion", request_id="r"), actor="a\u200bb").reason == "InvalidActor"
