"""Service Bus answers: the events topic takes a message, and the commands queue is read; nothing is left
behind, nothing received.

An entity the namespace lacks is refused only after its link attached, which the SDK does not wait for;
so each entity is proved by an operation that needs an answer. The topic: a probe message scheduled a
week ahead and cancelled at once (both are `$management` requests needing the Send right, which
publishing events needs; a cancelled message never reaches a subscription). The queue: peeking a probe
session (sessions exist only as ids, so locking one takes nothing from a worker).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped

PROBE_SESSION = "fabctl-doctor-probe"
PROBE_AHEAD = timedelta(days=7)  # far enough that a cancel that never arrived is seen before it is delivered


def check_service_bus(context: DoctorContext) -> Outcome:
    settings = context.loaded_settings()
    if settings.event_bus != "servicebus":
        return skipped(f"the event bus is {settings.event_bus}")
    from fabctl.entrypoints.bootstrap import servicebus_client_opener

    topic, queue = f"topic {settings.events_topic}", f"queue {settings.commands_queue}"
    with servicebus_client_opener(settings)() as client:
        try:
            from azure.servicebus import ServiceBusMessage

            with client.get_topic_sender(settings.events_topic) as sender:
                probe = ServiceBusMessage(b"", subject="fabctl-doctor-probe", message_id=PROBE_SESSION)
                numbers = sender.schedule_messages(probe, datetime.now(UTC) + PROBE_AHEAD)
                sender.cancel_scheduled_messages(numbers)
        except Exception as e:  # the SDK's message rarely names the entity: the check does
            return failed(f"{topic}: {type(e).__name__}: {e}", FIX)
        try:
            with client.get_queue_receiver(settings.commands_queue, session_id=PROBE_SESSION) as receiver:
                receiver.peek_messages(max_message_count=1)
        except Exception as e:
            return failed(f"{queue}: {type(e).__name__}: {e}", FIX)
    return passed(f"signed in; {topic} took a probe message (scheduled and cancelled); {queue} read")


FIX = "check the namespace, the entity names and the identity's Send and Listen rights (docs/azure.md)"
