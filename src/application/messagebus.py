"""Dispatches commands to their one handler and events to their handlers, then relays the outbox.

Command errors propagate to the caller. Event-handler errors are logged and isolated: a
subscriber failing must not undo a state change that is already committed. A command whose unit of
work met a concurrent change (`ConcurrencyConflict`) is run again from a fresh read, as `retry` says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fabctl.application.errors import ConcurrencyConflict, EventsNotPublished
from fabctl.application.inbox import AlreadyHandled
from fabctl.application.ports import Clock, ConflictRetry, EventPublisher, OutboxMessage, Telemetry, UnitOfWork
from fabctl.domain.commands import Command
from fabctl.domain.events import Event

logger = logging.getLogger(__name__)

Message = Command | Event
CommandHandler = Callable[[Any], Any]
# An event handler may answer with follow-up commands; the bus runs them in turn.
EventHandler = Callable[[Any], Sequence[Command] | None]


def run_once(attempt: Callable[[], Any]) -> Any:
    """No retry: for stores where one unit of work never conflicts with another (they take turns)."""
    return attempt()


class MessageBus:
    def __init__(
        self,
        uow: UnitOfWork,
        command_handlers: dict[type[Command], CommandHandler],
        event_handlers: dict[type[Event], list[EventHandler]],
        publisher: EventPublisher,
        clock: Clock,
        retry: ConflictRetry = run_once,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.uow = uow
        self._telemetry = telemetry
        self._retry = retry
        self._command_handlers = command_handlers
        self._event_handlers = event_handlers
        self._publisher = publisher
        self._clock = clock

    def handle(self, command: Command) -> Any:
        """Handle a command and everything it sets off; return the command handler's result.

        One span for all of it (`fabctl.command`, a child of the trace the caller continues, such as a
        message's): the follow-up commands' spans and the relay's publishing are inside it."""
        return self._traced(command)[0]

    def handle_delivery(self, command: Command) -> bool:
        """Handle a command that arrived as a message, as `handle` does; True when its message id was handled
        before (the effect is stored; this delivery is a duplicate), so that the caller can finish what an
        earlier delivery may have left stranded."""
        return self._traced(command)[1]

    def _traced(self, command: Command) -> tuple[Any, bool]:
        if self._telemetry is None:
            return self._handle(command)
        with self._telemetry.span("fabctl.command", command=type(command).__name__):
            return self._handle(command)

    def _handle(self, command: Command) -> tuple[Any, bool]:
        result, duplicate = self._handle_command(command)
        queue: list[Message] = list(self.uow.collect_new_events())
        while queue:
            message = queue.pop(0)
            if isinstance(message, Event):
                queue.extend(self._handle_event(message))
            else:
                try:
                    self._follow_up(message)
                except Exception:
                    # A follow-up command records its own failure in state; the original
                    # command already succeeded and its caller must not see this as its error.
                    logger.exception("follow-up command %s failed", type(message).__name__)
            queue.extend(self.uow.collect_new_events())
        self.relay_outbox()
        return result, duplicate

    def relay_outbox(self, *, raise_errors: bool = False) -> int:
        """Publish, in order, the committed events not yet published; returns how many were sent.

        Read in one unit of work, published outside any (a state store's lock, such as SQLite's write
        transaction, is never held while the broker is talked to), marked in another. A publish that fails
        stops the relay there, so later events of the same aggregate wait behind it; the ones accepted
        before it are marked. A crash between the send and the mark sends the same ids again on the next
        relay (the broker's duplicate detection or the subscriber drops the copy).

        A failure is logged and the rest stay pending: what committed them stands, and the next relay (the
        sweep, `fabctl events relay`) sends them. `raise_errors` raises it instead (`EventsNotPublished`
        when the bus refused, naming how many went before), for a caller whose job is the relay.
        """
        try:
            return self._relay()
        except Exception as e:
            if raise_errors:
                raise
            return _logged_relay_failure(e)

    def _relay(self) -> int:
        with self.uow:
            pending = self.uow.outbox.pending()
        if not pending:
            return 0
        try:
            self._publisher.publish_all(pending)
        except EventsNotPublished as e:
            self._mark_published(pending[: e.published])
            raise
        self._mark_published(pending)
        return len(pending)

    def _mark_published(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            self._retry(lambda: self._mark_once(messages))

    def _mark_once(self, messages: Sequence[OutboxMessage]) -> None:
        with self.uow:
            at = self._clock.now()
            for message in messages:
                self.uow.outbox.mark_published(message.id, at)
            self.uow.commit()

    def _follow_up(self, command: Command) -> None:
        if self._telemetry is None:
            self._handle_command(command)
            return
        with self._telemetry.span("fabctl.command", command=type(command).__name__):
            self._handle_command(command)

    def _handle_command(self, command: Command) -> tuple[Any, bool]:
        """The handler's result, and whether the message had been handled before (then the result is None)."""
        return self._retry(lambda: self._attempt_command(command))

    def _attempt_command(self, command: Command) -> tuple[Any, bool]:
        # A cheap look first: a redelivery of a message handled long ago does no reading at all. It
        # decides nothing under concurrency; the handler's own `claim` (in the unit of work that
        # stores the effect) does, and raises `AlreadyHandled` when another process got there first.
        with self.uow:
            handled = self.uow.inbox.contains(command.message_id)
        handler = self._command_handlers[type(command)]
        try:
            if not handled:
                return handler(command), False
        except AlreadyHandled:
            pass
        logger.info("message %s already handled; ignoring the duplicate", command.message_id)
        return None, True

    def _handle_event(self, event: Event) -> list[Message]:
        follow_ups: list[Message] = []
        for handler in self._event_handlers.get(type(event), []):
            try:
                follow_ups.extend(handler(event) or ())
            except Exception:
                logger.exception("handler %s failed for %s", getattr(handler, "__name__", handler), event)
        return follow_ups


def _logged_relay_failure(error: Exception) -> int:
    """Log why a relay stopped; returns how many events it sent before."""
    if isinstance(error, EventsNotPublished):
        logger.warning("events not published (%s); %d sent, the rest left for the next relay", error, error.published)
        return error.published
    if isinstance(error, ConcurrencyConflict):
        # Another relay marked these messages meanwhile; whatever is still pending goes with the next relay.
        logger.warning("relaying the outbox met a concurrent change (%s); left for the next relay", error)
    else:  # a publisher's or a store's failure must not turn committed work into a failed command
        logger.warning("relaying the outbox failed (%s: %s); the events are left for the next relay",
                       type(error).__name__, error)  # fmt: skip
    return 0
