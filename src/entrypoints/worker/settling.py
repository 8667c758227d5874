"""One received message: handled as the Function app handles it, then settled with the broker.

Settling can fail when the lock was lost (the handling outlived it, or the connection dropped): the
message then comes back with the next delivery, and the inbox makes that delivery change nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from azure.servicebus import ServiceBusReceivedMessage, ServiceBusReceiver
from azure.servicebus.amqp import AmqpMessageBodyType
from azure.servicebus.exceptions import ServiceBusError

from fabctl.entrypoints.messages.handling import handle_command_message
from fabctl.entrypoints.messages.settlement import Settlement, Verdict

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App

logger = logging.getLogger(__name__)


def handle(app: App, message: ServiceBusReceivedMessage) -> Settlement:
    """What to tell the broker about `message`, once its command was carried out (or refused)."""
    try:
        if message.body_type is not AmqpMessageBodyType.DATA:
            kind = str(getattr(message.body_type, "value", message.body_type))
            return Settlement.dead_letter("InvalidJson", f"the body is an AMQP {kind} section, not JSON bytes")
        body = b"".join(message.body)
    except Exception as e:  # a body the SDK cannot give as bytes: the message's fault, never the worker's end
        return Settlement.dead_letter("InvalidJson", f"the body cannot be read as bytes ({type(e).__name__})")
    return handle_command_message(app, body, message.message_id or "", message.application_properties)


def settle(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, settlement: Settlement) -> bool:
    """Tell the broker; False when it could not be told (the lock is gone: the message comes back)."""
    try:
        if settlement.verdict is Verdict.COMPLETE:
            receiver.complete_message(message)
        elif settlement.verdict is Verdict.DEAD_LETTER:
            receiver.dead_letter_message(message, reason=settlement.reason, error_description=settlement.description)
        else:
            receiver.abandon_message(message)
    except ServiceBusError as e:
        logger.warning("message %s: could not %s it (%s); it will be delivered again", message.message_id,
                       settlement.verdict.value, type(e).__name__)  # fmt: skip
        return False
    logger.info("message %s: %s%s", message.message_id, settlement.verdict.value,
                f" ({settlement.reason})" if settlement.reason else "")  # fmt: skip
    return True
