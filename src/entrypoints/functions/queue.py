"""The command queue trigger: one message, one command, settled by the settlement policy.

The Python worker of azure-functions 1.26 cannot settle a `func.ServiceBusMessage` itself (manual
settlement needs the preview SDK-type bindings; see docs/adr/0034-function-app-and-command-messages.md).
So the host settles: returning completes the message, raising abandons it. A message the policy
dead-letters is abandoned too, with its reason logged: the queue's max delivery count moves it to the
dead-letter queue, and since the refusal is repeated without side effects, each retry costs one parse.
"""

from __future__ import annotations

import logging

import azure.functions as func

from fabctl.entrypoints.functions import application
from fabctl.entrypoints.messages.handling import handle_command_message
from fabctl.entrypoints.messages.settlement import Settlement, Verdict

logger = logging.getLogger(__name__)

QUEUE = "fabctl-commands"
CONNECTION = "FABCTL_SERVICEBUS"  # the app setting (or FABCTL_SERVICEBUS__fullyQualifiedNamespace for an identity)

commands = func.Blueprint()  # type: ignore[no-untyped-call]


class MessageNotCompleted(Exception):
    """Raised so that the host abandons the message; carries the settlement the policy chose."""

    def __init__(self, settlement: Settlement) -> None:
        super().__init__(f"{settlement.verdict.value}: {settlement.reason}: {settlement.description}")
        self.settlement = settlement


@commands.service_bus_queue_trigger(
    arg_name="message", connection=CONNECTION, queue_name=QUEUE, is_sessions_enabled=True, auto_complete_messages=True
)
def command_message(message: func.ServiceBusMessage) -> None:
    message_id = message.message_id or ""
    try:
        app = application.current()
    except Exception as e:
        # Not the message's fault (settings, the state store unreachable): try again with the next delivery.
        application.forget()
        raise MessageNotCompleted(Settlement.abandon("Unconfigured", str(e))) from None
    settlement = handle_command_message(app, message.get_body(), message_id, message.application_properties)
    if settlement.verdict is not Verdict.COMPLETE:
        if settlement.verdict is Verdict.DEAD_LETTER:
            logger.error("command message %s cannot succeed (%s: %s); abandoned until its max delivery count "
                         "dead-letters it", message_id, settlement.reason, settlement.description)  # fmt: skip
        raise MessageNotCompleted(settlement)
