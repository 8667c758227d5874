"""The command envelope: `{"command": "ApprovePromotion", "version": 1, "data": {...}}` -> a domain command.

The message id is the broker's (Service Bus `message_id`): it becomes the command's `message_id`, so
a redelivered message is the same command and the inbox makes it act once. The acting identity is
given apart from the body (see `ACTOR_PROPERTY`), by whoever authenticated the sender.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fabctl.domain import commands
from fabctl.domain.identity import Identity, InvalidIdentity
from fabctl.entrypoints.messages import command_data as data

# The application property a trusted sender sets to the identity it acts for. Service Bus
# authenticates the sender to the namespace (its SAS key or Entra identity with the Data Sender
# role), not each message: any sender allowed on the queue can name any actor. So only identities
# trusted to act for others may send; end users come through the HTTP API, which verifies them.
ACTOR_PROPERTY = "fabctl-actor"
VERSION = 1
M = TypeVar("M", bound=BaseModel)
ACTOR_FIELDS = frozenset(
    {"requested_by", "approver", "rejected_by", "cancelled_by", "actor", "user", "actor_object_id", "object_id"}
)


class CommandRejected(Exception):
    """A message that can never be carried out as sent: not JSON, an unknown command, a field at fault.

    `reason` is a short code (for the dead-letter reason), `description` one line naming the field."""

    def __init__(self, reason: str, description: str, *, field: str = "") -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.field = field


# command name -> (its data model, the domain command, the command's field that takes the actor)
KINDS: dict[str, tuple[type[data.CommandData], type[commands.Command], str]] = {
    "RequestPromotion": (data.RequestPromotionData, commands.RequestPromotion, "requested_by"),
    "ApprovePromotion": (data.ApprovePromotionData, commands.ApprovePromotion, "approver"),
    "RejectPromotion": (data.RejectPromotionData, commands.RejectPromotion, "rejected_by"),
    "CancelPromotion": (data.CancelPromotionData, commands.CancelPromotion, "cancelled_by"),
    "ExecuteDeployment": (data.ExecuteDeploymentData, commands.ExecuteDeployment, "requested_by"),
    "RecoverTransaction": (data.RecoverTransactionData, commands.RecoverTransaction, "requested_by"),
}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(min_length=1)
    version: Literal[1]
    data: dict[str, Any]


def parse_command(body: bytes, message_id: str, actor: str | None) -> commands.Command:
    """The domain command `body` carries, acting as `actor`; `CommandRejected` names what is wrong."""
    if not message_id or not message_id.strip():
        raise CommandRejected("MissingMessageId", "the message has no message_id: set one, it keys idempotency")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CommandRejected("InvalidJson", f"the body is not UTF-8 JSON ({e})") from None
    envelope = validated(Envelope, document, prefix="")
    kind = KINDS.get(envelope.command)
    if kind is None:
        known = ", ".join(KINDS)
        problem = f"field 'command': unknown command {envelope.command!r}; one of {known}"
        raise CommandRejected("UnknownCommand", problem, field="command")
    model, command_type, actor_field = kind
    refuse_actor_fields(envelope.data, where="data.")
    fields = validated(model, envelope.data, prefix="data.").model_dump()
    return command_type(message_id=message_id, **fields, **{actor_field: _actor(actor)})


def build_command(
    name: str, given: data.CommandData, message_id: str, actor: str, object_id: str = ""
) -> commands.Command:
    """The command `name` from data already validated (the HTTP API's bodies), acting as `actor`, a verified
    principal when `object_id` is its object id. (A Service Bus message's actor is asserted by its sender,
    not verified: `parse_command` records no object id.)"""
    _, command_type, actor_field = KINDS[name]
    takes_object_id = any(f.name == "actor_object_id" for f in dataclasses.fields(command_type))
    verified = {"actor_object_id": object_id} if object_id and takes_object_id else {}
    return command_type(message_id=message_id, **given.model_dump(), **{actor_field: actor}, **verified)


def refuse_actor_fields(given: object, *, where: str) -> None:
    """A body naming who acts is refused: the actor comes only from the authenticated sender."""
    if isinstance(given, dict):
        for name in sorted(ACTOR_FIELDS & set(given)):
            raise CommandRejected(
                "ActorInBody",
                f"field '{where}{name}': who acts is not taken from the body; it comes from the authenticated sender",
                field=f"{where}{name}",
            )


def _actor(actor: str | None) -> str:
    if actor is None or not str(actor).strip():
        raise CommandRejected(
            "MissingActor", f"application property '{ACTOR_PROPERTY}': missing; the sender sets who it acts for",
            field=ACTOR_PROPERTY,
        )  # fmt: skip
    try:
        return str(Identity.parse(str(actor), source=ACTOR_PROPERTY))
    except InvalidIdentity as e:
        raise CommandRejected("InvalidActor", str(e), field=ACTOR_PROPERTY) from None


def validated(model: type[M], document: object, *, prefix: str) -> M:
    try:
        return model.model_validate(document)
    except ValidationError as e:
        first = e.errors()[0]
        name = prefix + ".".join(str(part) for part in first["loc"])
        where = f"field '{name}'" if name else "the body"
        raise CommandRejected("InvalidCommand", f"{where}: {first['msg']}", field=name) from None
