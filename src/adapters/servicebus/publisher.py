"""`ServiceBusEventPublisher`: the outbox relayed to a Service Bus topic, one message per event, as CloudEvents
(the messages: `outgoing`)."""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from azure.core.exceptions import AzureError
from azure.servicebus import ServiceBusClient, ServiceBusMessageBatch

from fabctl.adapters.servicebus.outgoing import TooLarge, batches
from fabctl.application.errors import EventsNotPublished
from fabctl.application.ports import OutboxMessage

DEADLINE_S = 60.0  # a relay of thousands of events takes seconds; a refused one fails in ~10 (the retries)
_SECRETS = re.compile(r"(SharedAccessKey|SharedAccessSignature|sig|AccountKey)=[^;&\s]+", re.IGNORECASE)


class ServiceBusEventPublisher:
    """Publishes to `topic` through a client `open_client` makes.

    The client and its sender are kept between publishes (opening costs a connection, a token and a link)
    until `close()` or a failure, after which the next publish opens fresh ones. One publish at a time: the
    SDK's sender is not thread-safe, and a Function host runs invocations in threads. A publish that gets
    no answer within `deadline_s` fails: the SDK waits without a bound on an endpoint that takes the
    connection and never speaks AMQP (a wrong port, a stuck proxy), and a deploy must not hang on it. So the
    sends run on one daemon thread kept with the link (never one joined at exit), waited for with the
    deadline; a link whose send outlived it is given up, thread and all, and the next publish opens another.
    """

    def __init__(
        self,
        open_client: Callable[[], ServiceBusClient],
        topic: str,
        *,
        max_batch_bytes: int | None = None,
        deadline_s: float = DEADLINE_S,
        trace_context: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self._open_client = open_client
        self._trace_context = trace_context  # the current trace's `traceparent`, put on every message
        self.topic = topic
        self._max_batch_bytes = max_batch_bytes  # None: the size the topic accepts (a test makes it small)
        self._deadline_s = deadline_s
        self._lock = threading.Lock()
        self._link: _Link | None = None

    def publish(self, message: OutboxMessage) -> None:
        self.publish_all([message])

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        with self._lock:
            if self._link is None or self._link.broken:
                self._link = _Link(self._open_client(), self.topic)  # connects on its first send
            link, progress = self._link, _Progress()
            trace = dict(self._trace_context())  # read here: the link's thread is outside the caller's trace
            if not link.run(lambda: self._send(link, messages, progress, trace), self._deadline_s):
                link.abandoned, self._link = True, None  # the stuck send closes it if it ever returns
                raise EventsNotPublished(
                    f"could not publish to Service Bus topic '{self.topic}': no answer within {self._deadline_s:g} s",
                    published=progress.published,
                )
            if progress.error is not None:
                raise progress.error

    def close(self) -> None:
        with self._lock:
            if self._link is not None:
                self._link.close()
                self._link = None

    def _send(
        self, link: _Link, messages: Sequence[OutboxMessage], progress: _Progress, trace: Mapping[str, str]
    ) -> None:
        try:
            for batch, count in batches(messages, lambda: self._new_batch(link), trace):
                link.sender.send_messages(batch)  # one batch: all of it accepted, or none
                progress.published += count
        except TooLarge as e:
            progress.error = EventsNotPublished(f"Service Bus topic '{self.topic}': {e}", published=progress.published)
        except (AzureError, OSError) as e:  # ServiceBusError is an AzureError
            link.close()  # a link or connection that failed is not used again
            progress.error = EventsNotPublished(self._reason(e), published=progress.published)
            progress.error.__cause__ = e
        except Exception as e:  # unexpected: handed over to the caller's thread as it is
            link.close()
            progress.error = e
        if link.abandoned:
            link.close()

    def _new_batch(self, link: _Link) -> ServiceBusMessageBatch:
        if self._max_batch_bytes is None:
            return link.sender.create_message_batch()
        return link.sender.create_message_batch(max_size_in_bytes=self._max_batch_bytes)

    def _reason(self, error: BaseException) -> str:
        text = (str(error).strip().splitlines() or [""])[0][:300]
        text = _SECRETS.sub(r"\1=<redacted>", text)
        detail = f"{type(error).__name__}: {text}" if text else type(error).__name__
        return f"could not publish to Service Bus topic '{self.topic}': {detail}"


class _Link:
    """A client and its topic sender; neither touches the network before the first send."""

    def __init__(self, client: ServiceBusClient, topic: str) -> None:
        self.client = client
        self.sender = client.get_topic_sender(topic)
        self.broken = False
        self.abandoned = False  # a publish stopped waiting for it
        self._work: queue.SimpleQueue[tuple[Callable[[], None], threading.Event] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=f"publish-{topic}", daemon=True)
        self._thread.start()

    def run(self, send: Callable[[], None], deadline_s: float) -> bool:
        """Run `send` on the link's thread; False if it did not return within `deadline_s`."""
        done = threading.Event()
        self._work.put((send, done))
        return done.wait(deadline_s)

    def _serve(self) -> None:
        while (job := self._work.get()) is not None:
            send, done = job
            try:
                send()  # records its own errors; never raises
            finally:
                done.set()

    def close(self) -> None:
        self.broken = True
        for each in (self.sender, self.client):
            # Closing what already failed may fail too: there is nothing left to keep.
            with contextlib.suppress(AzureError, OSError):
                each.close()
        self._work.put(None)  # the thread ends after the send under way, if any


@dataclass
class _Progress:
    published: int = 0
    error: BaseException | None = None
