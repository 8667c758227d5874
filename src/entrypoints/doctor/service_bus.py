"""Service Bus answers: a link opened on the events topic and on the commands queue (nothing is sent)."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, passed, skipped


def check_service_bus(context: DoctorContext) -> Outcome:
    settings = context.loaded_settings()
    if settings.event_bus != "servicebus":
        return skipped(f"the event bus is {settings.event_bus}")
    from fabctl.entrypoints.bootstrap import servicebus_client_opener

    opened = []
    with servicebus_client_opener(settings)() as client:
        # Entering a sender attaches its link: the broker refuses an entity that does not exist, or rights
        # the identity lacks, there and then.
        with client.get_topic_sender(settings.events_topic):
            opened.append(f"topic {settings.events_topic}")
        with client.get_queue_sender(settings.commands_queue):
            opened.append(f"queue {settings.commands_queue}")
    return passed("senders opened on " + " and ".join(opened))


FIX = "check the namespace, the entity names and the identity's Send right (docs/azure.md)"
