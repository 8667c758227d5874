"""What each kind of subscriber is sent: pure mapping from a notification to JSON, no I/O.

Teams: the message a workflow ("When a Teams webhook request is received") posts, holding an AdaptiveCard 1.4.
Webhook: the outbox message as the CloudEvent fabctl also puts on Service Bus (one mapping, `cloudevents`).
"""

from __future__ import annotations

from typing import Any

from fabctl.adapters.servicebus.cloudevents import CONTENT_TYPE, to_cloudevent
from fabctl.application.notifier import Notification

CLOUDEVENT_CONTENT_TYPE = CONTENT_TYPE
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# What a reader is told an event means: a summary without links (a card's links would point at state fabctl
# does not serve). Events not named here get their name.
SUMMARIES = {
    "PromotionRequested": "A promotion was requested and waits for approval.",
    "ApprovalRecorded": "An approval was recorded.",
    "PromotionApproved": "A promotion was approved and will be deployed.",
    "PromotionRejected": "A promotion was rejected.",
    "PromotionCancelled": "A promotion was cancelled.",
    "PromotionSucceeded": "A promotion was deployed.",
    "PromotionFailed": "A promotion failed.",
    "PromotionRolledBack": "A promotion's deployment was rolled back.",
    "DeploymentFailed": "A deployment failed.",
    "RollbackIncomplete": "A rollback could not undo every step: the workspace needs attention.",
    "TransactionCommitted": "A deployment completed.",
    "TransactionRolledBack": "A deployment was rolled back.",
}


def cloudevent_body(notification: Notification) -> dict[str, Any]:
    return to_cloudevent(notification.message)


def teams_body(notification: Notification) -> dict[str, Any]:
    message, payload = notification.message, notification.message.payload
    facts = [
        ("Event", message.type),
        ("Request", _text(payload.get("request_id"))),
        ("Transaction", _text(payload.get("transaction_id"))),
        ("Environment", notification.environment),
        ("Actor", notification.actor),
        ("Reason", _text(payload.get("reason"))),
        ("At", message.created_at.isoformat()),
    ]
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": f"fabctl: {message.type}", "weight": "Bolder", "size": "Medium"},
            {"type": "TextBlock", "text": SUMMARIES.get(message.type, message.type), "wrap": True},
            {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts if v]},
        ],
    }
    return {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}]}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
