"""`ServiceBusEventPublisher`: the outbox relayed to a Service Bus topic, one message per event, as CloudEvents.

Each message: `message_id` = the event's id (the topic's duplicate detection drops a re-send), `session_id`
= the event's promotion or workspace (one ordered stream per aggregate), `subject` = the CloudEvent type,
application properties for filters (environment, workspace_id, request_id), and the CloudEvent as the body.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from azure.core.exceptions import AzureError
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender
from azure.servicebus.exceptions import MessageSizeExceededError

from fabctl.adapters.servicebus.cloudevents import CONTENT_TYPE, session_key, to_cloudevent
from fabctl.application.errors import EventsNotPublished
from fabctl.application.ports import OutboxMessage

# Properties a subscription rule can filter on, taken from the event's data when it has them.
PROPERTIES = ("environment", "workspace_id", "request_id")
_SECRETS = re.compile(r"(SharedAccessKey|SharedAccessSignature|sig|AccountKey)=[^;&\s]+", re.IGNORECASE)


def service_bus_message(message: OutboxMessage) -> ServiceBusMessage:
    document = to_cloudevent(message)
    return ServiceBusMessage(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        message_id=message.id,
        session_id=session_key(message.payload),
        subject=document["type"],
        content_type=CONTENT_TYPE,
        application_properties=application_properties(message.payload),
    )


def application_properties(payload: dict[str, Any]) -> dict[str | bytes, Any]:
    found: dict[str | bytes, Any] = {}
    # A promotion's environment is the one it deploys to.
    environment = payload.get("environment") or payload.get("target_environment")
    values = (environment, payload.get("workspace_id"), payload.get("request_id"))
    for name, value in zip(PROPERTIES, values, strict=True):
        if isinstance(value, str) and value:
            found[name] = value
    return found


class ServiceBusEventPublisher:
    """Publishes to `topic` through a client `open_client` makes.

    The client and its sender are opened on the first publish and kept (opening costs a connection, a
    token and a link) until `close()` or a failure, after which the next publish opens fresh ones. One
    publish at a time: the SDK's sender is not thread-safe, and a Function host runs invocations in threads.
    """

    def __init__(
        self, open_client: Callable[[], ServiceBusClient], topic: str, *, max_batch_bytes: int | None = None
    ) -> None:
        self._open_client = open_client
        self.topic = topic
        self._max_batch_bytes = max_batch_bytes  # None: the size the topic accepts (a test makes it small)
        self._lock = threading.Lock()
        self._client: ServiceBusClient | None = None
        self._sender: ServiceBusSender | None = None

    def publish(self, message: OutboxMessage) -> None:
        self.publish_all([message])

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        with self._lock:
            published = 0
            try:
                sender = self._open_sender()
                for batch, count in self._batches(sender, messages):
                    sender.send_messages(batch)  # one batch: all of it accepted, or none
                    published += count
            except EventsNotPublished as e:
                raise EventsNotPublished(e.message, published=published) from e
            except (AzureError, OSError) as e:  # ServiceBusError is an AzureError
                self._close()  # a link or connection that failed is not used again
                raise EventsNotPublished(self._reason(e), published=published) from e

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open_sender(self) -> ServiceBusSender:
        if self._sender is None:
            self._client = self._open_client()
            self._sender = self._client.get_topic_sender(self.topic)
        return self._sender

    def _close(self) -> None:
        sender, client, self._sender, self._client = self._sender, self._client, None, None
        for each in (sender, client):
            # Closing what already failed may fail too: there is nothing left to keep.
            if each is not None:
                with contextlib.suppress(AzureError, OSError):
                    each.close()

    def _batches(
        self, sender: ServiceBusSender, messages: Sequence[OutboxMessage]
    ) -> Iterator[tuple[ServiceBusMessageBatch, int]]:
        """Batches in the messages' order, each of one session (a partitioned topic takes a batch for one
        partition only), each as full as the topic allows."""
        batch, count, session = self._new_batch(sender), 0, None
        for message in messages:
            outgoing = service_bus_message(message)
            if count and (outgoing.session_id != session or not _added(batch, outgoing)):
                yield batch, count
                batch, count = self._new_batch(sender), 0
            if not count and not _added(batch, outgoing):
                raise EventsNotPublished(
                    f"event {message.id} ({message.type}) is larger than Service Bus topic '{self.topic}' "
                    "accepts in one message"
                )
            count += 1
            session = outgoing.session_id
        if count:
            yield batch, count

    def _new_batch(self, sender: ServiceBusSender) -> ServiceBusMessageBatch:
        if self._max_batch_bytes is None:
            return sender.create_message_batch()
        return sender.create_message_batch(max_size_in_bytes=self._max_batch_bytes)

    def _reason(self, error: BaseException) -> str:
        text = (str(error).strip().splitlines() or [""])[0][:300]
        text = _SECRETS.sub(r"\1=<redacted>", text)
        detail = f"{type(error).__name__}: {text}" if text else type(error).__name__
        return f"could not publish to Service Bus topic '{self.topic}': {detail}"


def _added(batch: ServiceBusMessageBatch, message: ServiceBusMessage) -> bool:
    try:
        batch.add_message(message)
    except MessageSizeExceededError:
        return False
    return True
