"""What to tell the broker once a command message was handled: complete, dead-letter or abandon.

Pure: it looks only at the outcome. A message that can never succeed is dead-lettered at once with
a reason and a description (retrying it would only repeat the refusal); one that failed for a reason
that passes (Fabric unreachable, a concurrent change, a deployment holding the workspace) is
abandoned for redelivery; an unexpected error is abandoned too, and the queue's max delivery count
ends it in the dead-letter queue, so a bug never loses a message nor loops on it forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fabctl.application.errors import AccessDenied, ApplicationError, ConcurrencyConflict, GatewayError
from fabctl.domain.errors import DomainError
from fabctl.domain.transaction import UnfinishedTransaction, WorkspaceBusy
from fabctl.entrypoints.messages.envelope import CommandRejected

# Service Bus keeps a dead-letter reason up to 4096 characters, and a description too; ours are one line.
_LONGEST = 1024


class Verdict(StrEnum):
    COMPLETE = "complete"
    DEAD_LETTER = "dead-letter"
    ABANDON = "abandon"


@dataclass(frozen=True)
class Settlement:
    verdict: Verdict
    reason: str = ""
    description: str = ""

    @classmethod
    def complete(cls) -> Settlement:
        return cls(Verdict.COMPLETE)

    @classmethod
    def dead_letter(cls, reason: str, description: str) -> Settlement:
        return cls(Verdict.DEAD_LETTER, reason, description[:_LONGEST])

    @classmethod
    def abandon(cls, reason: str, description: str) -> Settlement:
        return cls(Verdict.ABANDON, reason, description[:_LONGEST])


# Refusals that may clear on their own: a live deployment holds the workspace, or a crashed one waits
# for the recovery sweep. Redelivery tries again; the max delivery count bounds how long.
TRANSIENT_REFUSALS = (WorkspaceBusy, UnfinishedTransaction)


def settlement_for(error: BaseException | None) -> Settlement:
    """The settlement of a message whose handling raised `error` (None: it succeeded)."""
    if error is None:
        return Settlement.complete()
    if isinstance(error, CommandRejected):
        return Settlement.dead_letter(error.reason, error.description)
    if isinstance(error, TRANSIENT_REFUSALS):
        return Settlement.abandon(type(error).__name__, str(error))
    if isinstance(error, DomainError):
        return Settlement.dead_letter(type(error).__name__, str(error))
    if isinstance(error, AccessDenied):
        # fabctl's identity lacks a role: no redelivery grants it. Resubmit from the DLQ once granted.
        return Settlement.dead_letter("AccessDenied", str(error))
    if isinstance(error, GatewayError | ConcurrencyConflict | ApplicationError):
        return Settlement.abandon(type(error).__name__, str(error))
    return Settlement.abandon("UnexpectedError", f"{type(error).__name__} (the traceback is in the log)")
