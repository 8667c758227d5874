"""Handling one command message, the same for the Function app and the worker: parse, handle, settle."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fabctl.application.stranded import stranded_recoveries
from fabctl.entrypoints.messages.envelope import ACTOR_PROPERTY, parse_command
from fabctl.entrypoints.messages.settlement import Settlement, Verdict, settlement_for

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App

logger = logging.getLogger(__name__)
TRACE_PROPERTIES = ("traceparent", "tracestate")  # the W3C trace context a sender puts on the message
MESSAGE_SPAN = "fabctl.message"  # a consumer span: Application Insights keeps it as a request


def handle_command_message(app: App, body: bytes, message_id: str, properties: Mapping[Any, Any] | None) -> Settlement:
    """Carry out the command in `body` (actor from `properties`); never raises for what the message holds.

    The work continues the trace of the message's sender (its `traceparent` property), if it has one."""
    processing = {"messaging.system": "servicebus", "messaging.operation.type": "process",
                  "messaging.message.id": message_id}  # fmt: skip
    with app.telemetry.continued(_trace_context(properties)), app.telemetry.span(MESSAGE_SPAN, **processing) as span:
        settlement = _handle(app, body, message_id, properties)
        span["settlement"] = settlement.verdict.value
        return settlement


def _handle(app: App, body: bytes, message_id: str, properties: Mapping[Any, Any] | None) -> Settlement:
    try:
        command = parse_command(body, message_id, _actor(properties))
        if app.bus.handle_delivery(command):  # a redelivery: its effect was stored before
            _finish_what_it_started(app, message_id)
    except Exception as e:
        settlement = settlement_for(e)
        if settlement.reason == "UnexpectedError":
            logger.exception("command message %s failed unexpectedly; abandoned for redelivery", message_id)
        else:
            logger.warning("command message %s: %s (%s: %s)", message_id, settlement.verdict.value,
                           settlement.reason, settlement.description)  # fmt: skip
        return settlement
    return Settlement(Verdict.COMPLETE)


def _finish_what_it_started(app: App, message_id: str) -> None:
    """A message delivered again after its effect was stored: the delivery before may have been lost with
    its worker while it deployed (what the message started, a deployment, may be a follow-up command's).
    So a redelivery does what the sweep does, at once: each stranded transaction (its lease ran out, or its
    holder is gone from this host) is finished from its journal. One whose lease still binds is left to
    the sweep, which finds it once the lease runs out."""
    for recovery in stranded_recoveries(app.uow, app.machine):
        try:
            app.bus.handle(recovery)
        except Exception as e:  # the message's own effect stands; the sweep tries the recovery again
            settlement = settlement_for(e)
            logger.warning(
                "redelivered message %s: resuming transaction %s did not complete: %s: %s",
                message_id, recovery.transaction_id, settlement.reason, settlement.description,
            )  # fmt: skip


def _actor(properties: Mapping[Any, Any] | None) -> str | None:
    return _texts(properties).get(ACTOR_PROPERTY)


def _trace_context(properties: Mapping[Any, Any] | None) -> dict[str, str]:
    return {name: value for name, value in _texts(properties).items() if name in TRACE_PROPERTIES}


def _texts(properties: Mapping[Any, Any] | None) -> dict[str, str]:
    # The AMQP SDK gives application property keys as bytes; the Functions host as str.
    found: dict[str, str] = {}
    for key, value in (properties or {}).items():
        name = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        found[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return found
