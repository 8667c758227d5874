"""Exactly once in effect: a command message's id is claimed in the unit of work that carries its effect.

A broker delivers at least once, and two workers may hold the same message at once (a lock that
expired, a re-send). Checking the inbox in a unit of work of its own, then acting in another, lets
both pass the check. So the check and the entry go in the very unit of work that writes the
command's state: on SQLite that unit of work holds the write lock (BEGIN IMMEDIATE), so the second
claimant reads the first one's entry; on Azure Table the entry is created in the same entity group
transaction, so the second claimant's commit conflicts, and its retry from a fresh read finds it.
Either way the loser raises `AlreadyHandled`, rolls back, and the message bus treats the message as
handled.
"""

from __future__ import annotations

from fabctl.application.ports import UnitOfWork


class AlreadyHandled(Exception):
    """The message was handled already (by this process or another): its effect is in the state store."""

    def __init__(self, message_id: str) -> None:
        super().__init__(f"message {message_id} was already handled")
        self.message_id = message_id


def claim(uow: UnitOfWork, message_id: str) -> None:
    """Inside the unit of work that stores the command's effect, before anything is changed: record
    `message_id` as handled, or raise `AlreadyHandled` if another unit of work already did."""
    ensure_unhandled(uow, message_id)
    uow.inbox.add(message_id)


def ensure_unhandled(uow: UnitOfWork, message_id: str) -> None:
    """Raise `AlreadyHandled` if `message_id` is in the inbox: for the reads a handler does before the
    unit of work that claims it, so a duplicate is told from a refusal (an approval already given)."""
    if uow.inbox.contains(message_id):
        raise AlreadyHandled(message_id)
