"""Wiring of notifications, for the composition root: the notifier the settings ask for, or none."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fabctl.application.notifier import NotificationChannel, Notifier
from fabctl.application.ports import Clock, OutboxMessage, UnitOfWork
from fabctl.domain.redaction import SecretValues

if TYPE_CHECKING:
    from fabctl.adapters.notifications.dead_letters import FileDeadLetters
    from fabctl.entrypoints.settings import Settings

logger = logging.getLogger(__name__)
# Who caused an event, by the payload key that says so, in this order.
_ACTOR_KEYS = ("actor", "approver", "rejected_by", "cancelled_by", "requested_by")


def http_channel(secret_values: SecretValues) -> NotificationChannel:
    """The channel of the relay inside a command: one short attempt (a hung subscriber must not hold it)."""
    # Imported here: httpx and tenacity cost start-up time a run without subscribers never needs.
    from fabctl.adapters.notifications.http_channel import IN_COMMAND, HttpxNotificationChannel

    return HttpxNotificationChannel(secret_values.value, IN_COMMAND)


def patient_http_channel(secret_values: SecretValues) -> NotificationChannel:
    """The channel of `fabctl notify retry`: retries with back-off, longer timeouts."""
    from fabctl.adapters.notifications.http_channel import HttpxNotificationChannel

    return HttpxNotificationChannel(secret_values.value)


def notifier_for(
    settings: Settings,
    channel: Callable[[], NotificationChannel],
    uow: UnitOfWork,
    clock: Clock,
    retry_channel: Callable[[], NotificationChannel] | None = None,
) -> Notifier | None:
    """The notifier of the settings' notifications file; None when none is set. The file is read now: a
    mistake in it stops the command before it changes anything (`InvalidConfiguration`)."""
    if settings.notifications_file is None:
        return None
    from fabctl.adapters.source.notifications_file import read_notifications

    config = read_notifications(str(settings.notifications_file))
    for warning in config.warnings:
        logger.warning(warning)
    patient = retry_channel() if retry_channel is not None else None
    return Notifier(
        config.subscriptions, channel(), dead_letters_of(settings), event_context(uow), clock, retry_channel=patient
    )


def dead_letters_of(settings: Settings) -> FileDeadLetters:
    """Where notifications given up on are kept: a folder of the state dir, whichever state store is used."""
    from fabctl.adapters.notifications.dead_letters import FileDeadLetters

    return FileDeadLetters(settings.state_dir / "notifications" / "dead-letters")


def event_context(uow: UnitOfWork) -> Callable[[OutboxMessage], tuple[str, str]]:
    """The environment an event concerns and who caused it: from its payload, else from its promotion or
    its transaction in the state store (an approval's event names neither environment nor requester)."""

    def context(message: OutboxMessage) -> tuple[str, str]:
        payload = message.payload
        environment = _text(payload, "target_environment", "environment")
        actor = _text(payload, *_ACTOR_KEYS) or _names(payload.get("approvers"))
        if environment and actor:
            return environment, actor
        with uow:
            request_id, transaction_id = _text(payload, "request_id"), _text(payload, "transaction_id")
            request = uow.promotions.get(request_id) if request_id else None
            if request is not None:
                environment = environment or request.target_environment
                actor = actor or str(request.requested_by)
            transaction = uow.transactions.get(transaction_id) if transaction_id and not environment else None
            if transaction is not None:
                environment = transaction.environment
        return environment, actor

    return context


def _text(payload: dict[str, object], *keys: str) -> str:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _names(value: object) -> str:
    return ", ".join(v for v in value if isinstance(v, str)) if isinstance(value, list | tuple) else ""
