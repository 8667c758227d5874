"""Service Bus answers: a sender opened on the events topic, and the commands queue read (nothing is sent,
nothing received).

The namespace and the key or identity are proved by the topic's sender: opening it signs in and attaches a
link. An entity the namespace lacks is refused only after the link attached, which the SDK does not wait
for; so the queue is proved by a read that needs an answer (peeking a probe session: sessions exist only
as ids, so locking one takes nothing from a worker). The topic has no such read for a sender.
"""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped

PROBE_SESSION = "fabctl-doctor-probe"


def check_service_bus(context: DoctorContext) -> Outcome:
    settings = context.loaded_settings()
    if settings.event_bus != "servicebus":
        return skipped(f"the event bus is {settings.event_bus}")
    from fabctl.entrypoints.bootstrap import servicebus_client_opener

    topic, queue = f"topic {settings.events_topic}", f"queue {settings.commands_queue}"
    with servicebus_client_opener(settings)() as client:
        try:
            with client.get_topic_sender(settings.events_topic):
                pass
        except Exception as e:  # the SDK's message rarely names the entity: the check does
            return failed(f"{topic}: {type(e).__name__}: {e}", FIX)
        try:
            with client.get_queue_receiver(settings.commands_queue, session_id=PROBE_SESSION) as receiver:
                receiver.peek_messages(max_message_count=1)
        except Exception as e:
            return failed(f"{queue}: {type(e).__name__}: {e}", FIX)
    return passed(f"signed in; sender opened on {topic}; {queue} read")


FIX = "check the namespace, the entity names and the identity's Send and Listen rights (docs/azure.md)"
