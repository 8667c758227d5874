"""A subscriber of fabctl's events topic with the real azure-servicebus SDK: what the other side receives.

Receives from a sessionful subscription session by session (each session in the order the broker keeps),
completes what it got, and reads each body back as the outbox message it was published from.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from azure.servicebus import NEXT_AVAILABLE_SESSION, ServiceBusClient, ServiceBusReceivedMessage
from azure.servicebus.exceptions import SessionCannotBeLockedError

from fabctl.adapters.servicebus.cloudevents import from_cloudevent
from fabctl.application.ports import OutboxMessage

WAIT_S = 1  # the bound of every receive; one that gets its count returns at once
DEADLINE_S = 30  # the bound of waiting for messages that have not arrived


@dataclass
class Received:
    message: OutboxMessage
    raw: ServiceBusReceivedMessage


@dataclass
class SessionSubscriber:
    connection_string: str
    topic: str
    subscription: str
    received: list[Received] = field(default_factory=list)

    def delivered(self, at_least: int) -> list[OutboxMessage]:
        """Everything received so far, once at least `at_least` have arrived or DEADLINE_S passed."""
        deadline = time.monotonic() + DEADLINE_S
        with ServiceBusClient.from_connection_string(self.connection_string, retry_total=0) as client:
            while True:
                got = self._drain_one_session(client)
                if len(self.received) >= at_least and not got:
                    break
                if time.monotonic() > deadline:
                    break
        return [r.message for r in self.received]

    def by_session(self) -> dict[str, list[str]]:
        """The ids received, per session, in the order they arrived."""
        sessions: dict[str, list[str]] = {}
        for each in self.received:
            sessions.setdefault(str(each.raw.session_id), []).append(each.message.id)
        return sessions

    def _drain_one_session(self, client: ServiceBusClient) -> int:
        try:
            receiver = client.get_subscription_receiver(
                self.topic, self.subscription, session_id=NEXT_AVAILABLE_SESSION, max_wait_time=WAIT_S
            )
            with receiver:
                got = 0
                while batch := receiver.receive_messages(max_message_count=50, max_wait_time=WAIT_S):
                    for raw in batch:
                        body = b"".join(raw.body)
                        self.received.append(Received(from_cloudevent(json.loads(body)), raw))
                        receiver.complete_message(raw)
                        got += 1
                return got
        except SessionCannotBeLockedError:
            return 0  # no session with messages is free (the double refuses at once)
