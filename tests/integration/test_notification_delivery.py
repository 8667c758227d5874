"""The httpx notification channel against a local receiver: a Teams card, a signed CloudEvent, retries on
429 (after its Retry-After) and 5xx, and dead letters after the last attempt that never show the URL."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from webhook_receiver import HANG, webhook_receivers

from fabctl.adapters.notifications.dead_letters import FileDeadLetters
from fabctl.adapters.notifications.http_channel import DeliveryPolicy, HttpxNotificationChannel
from fabctl.adapters.secrets.memory import InMemorySecretStore
from fabctl.adapters.system.clock import FixedClock
from fabctl.application.notifier import Notifier, Subscription
from fabctl.application.ports import OutboxMessage

T0 = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
APPROVED = OutboxMessage("ev-1", "PromotionApproved", {"request_id": "p-1", "approvers": ["bob"]}, T0)
# A Teams workflow URL's shape: its query carries the signature that lets anyone post.
SIGNED_PATH = "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=S3CRETSIG"
FAST = DeliveryPolicy(attempts=3, backoff_s=0.5, max_wait_s=5.0, timeout_s=0.5)

receivers = pytest.fixture(webhook_receivers)


class RecordedSleeps:
    """tenacity's sleep, recorded instead of waited: the waits are asserted, never taken."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def notifier(tmp_path: Path, subscription: Subscription, secrets: dict[str, str], sleeps: RecordedSleeps) -> Notifier:
    channel = HttpxNotificationChannel(InMemorySecretStore(secrets).get_secret, FAST, sleep=sleeps)
    context = lambda message: ("prod", "bob")  # noqa: E731 (what the state store would say)
    return Notifier([subscription], channel, FileDeadLetters(tmp_path / "dead"), context, FixedClock(T0))


def teams(url: str = "$secret:teams-url") -> Subscription:
    return Subscription("release-channel", "teams", url, frozenset({"PromotionApproved"}), frozenset({"prod"}))


def test_a_teams_subscriber_gets_an_adaptive_card_through_its_secret_url(receivers, tmp_path: Path) -> None:
    receiver = receivers()
    sleeps = RecordedSleeps()
    sent = notifier(tmp_path, teams(), {"teams-url": receiver.url(SIGNED_PATH)}, sleeps).notify([APPROVED])

    assert sent == 1
    [request] = receiver.requests
    assert request.path == SIGNED_PATH and request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Event"] == "PromotionApproved" and facts["Request"] == "p-1"
    assert facts["Environment"] == "prod" and facts["Actor"] == "bob"
    assert "http" not in str(card["body"]) and "actions" not in card  # link-free
    assert sleeps.waits == []


def test_a_webhook_gets_the_cloudevent_signed_with_its_key(receivers, tmp_path: Path) -> None:
    receiver = receivers()
    hook = Subscription("audit", "webhook", "$secret:hook-url", frozenset({"PromotionApproved"}),
                        signing_key="$secret:hook-key")  # fmt: skip
    secrets = {"hook-url": receiver.url(), "hook-key": "k3y"}
    assert notifier(tmp_path, hook, secrets, RecordedSleeps()).notify([APPROVED]) == 1

    [request] = receiver.requests
    assert request.headers["content-type"] == "application/cloudevents+json"
    expected = "sha256=" + hmac.new(b"k3y", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-fabctl-signature"] == expected
    event = request.json()
    assert (event["specversion"], event["id"], event["type"]) == ("1.0", "ev-1", "fabctl.PromotionApproved.v1")
    assert event["subject"] == "promotions/p-1" and event["data"] == {"request_id": "p-1", "approvers": ["bob"]}


def test_a_429_is_retried_after_its_retry_after_and_a_500_after_the_backoff(receivers, tmp_path: Path) -> None:
    receiver = receivers([(429, {"Retry-After": "2"}), (500, {})])
    sleeps = RecordedSleeps()
    sent = notifier(tmp_path, teams(), {"teams-url": receiver.url()}, sleeps).notify([APPROVED])

    assert sent == 1 and len(receiver.requests) == 3
    assert sleeps.waits == [2.0, 1.0]  # Retry-After, then the second back-off step (0.5 * 2)
    assert FileDeadLetters(tmp_path / "dead").list() == []


def test_after_the_last_attempt_a_dead_letter_is_kept_without_the_url(
    receivers, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = receivers([(503, {}), (503, {}), (503, {})])
    caplog.set_level(logging.DEBUG)
    sent = notifier(tmp_path, teams(), {"teams-url": receiver.url(SIGNED_PATH)}, RecordedSleeps()).notify([APPROVED])

    assert sent == 0 and len(receiver.requests) == FAST.attempts
    [letter] = FileDeadLetters(tmp_path / "dead").list()
    assert (letter.id, letter.subscription, letter.reason, letter.attempts) == (
        "ev-1.release-channel", "release-channel", "HTTP 503", 3,
    )  # fmt: skip
    assert letter.message == APPROVED
    stored = "".join(p.read_text() for p in (tmp_path / "dead").iterdir())
    assert "S3CRETSIG" not in stored and "127.0.0.1" not in stored
    assert "S3CRETSIG" not in caplog.text
    assert "HTTP Request" in caplog.text  # httpx did log the requests: the filter redacted them


def test_a_receiver_that_never_answers_ends_in_a_dead_letter(receivers, tmp_path: Path) -> None:
    receiver = receivers([HANG, HANG, HANG])
    sent = notifier(tmp_path, teams(), {"teams-url": receiver.url()}, RecordedSleeps()).notify([APPROVED])

    assert sent == 0 and len(receiver.requests) == 3
    [letter] = FileDeadLetters(tmp_path / "dead").list()
    assert letter.reason == "no answer (ReadTimeout)"


def test_a_refusal_is_final_and_a_retry_delivers_the_dead_letter(receivers, tmp_path: Path) -> None:
    receiver = receivers([(404, {})])
    sleeps = RecordedSleeps()
    sender = notifier(tmp_path, teams(), {"teams-url": receiver.url()}, sleeps)
    assert sender.notify([APPROVED]) == 0
    assert len(receiver.requests) == 1 and sleeps.waits == []
    [letter] = FileDeadLetters(tmp_path / "dead").list()
    assert (letter.reason, letter.attempts) == ("HTTP 404", 1)

    outcome = sender.retry()

    assert outcome.delivered == ("ev-1.release-channel",) and outcome.failed == ()
    assert len(receiver.requests) == 2 and receiver.requests[1].json()["type"] == "message"
    assert FileDeadLetters(tmp_path / "dead").list() == []


def test_an_unset_secret_is_a_dead_letter_naming_the_secret(tmp_path: Path) -> None:
    assert notifier(tmp_path, teams(), {}, RecordedSleeps()).notify([APPROVED]) == 0
    [letter] = FileDeadLetters(tmp_path / "dead").list()
    assert letter.reason == "url or signing key: secret 'teams-url' could not be read (KeyError)"


def test_events_of_other_types_or_environments_are_not_sent(receivers, tmp_path: Path) -> None:
    receiver = receivers()
    requested = OutboxMessage("ev-2", "PromotionRequested", {"request_id": "p-1"}, T0)
    sender = notifier(tmp_path, teams(), {"teams-url": receiver.url()}, RecordedSleeps())
    assert sender.notify([requested]) == 0
    test_only = Subscription("t", "teams", "$secret:teams-url", frozenset({"PromotionApproved"}), frozenset({"test"}))
    other = notifier(tmp_path, test_only, {"teams-url": receiver.url()}, RecordedSleeps())
    assert other.notify([APPROVED]) == 0  # the context says prod
    assert receiver.requests == []


def test_a_long_retry_after_is_capped(receivers, tmp_path: Path) -> None:
    receiver = receivers([(429, {"Retry-After": "3600"})])
    sleeps = RecordedSleeps()
    assert notifier(tmp_path, teams(), {"teams-url": receiver.url()}, sleeps).notify([APPROVED]) == 1
    assert sleeps.waits == [FAST.max_wait_s]


def test_in_a_command_a_hung_subscriber_is_tried_once_and_its_later_events_wait_for_retry(
    receivers, tmp_path: Path
) -> None:
    receiver = receivers([HANG])  # the first request is never answered; later ones are (200)
    in_command = HttpxNotificationChannel(
        InMemorySecretStore({}).get_secret, DeliveryPolicy(attempts=1, timeout_s=0.5), sleep=RecordedSleeps()
    )
    patient = HttpxNotificationChannel(InMemorySecretStore({}).get_secret, FAST, sleep=RecordedSleeps())
    hook = Subscription("audit", "webhook", receiver.url(), frozenset({"PromotionApproved"}))
    dead = FileDeadLetters(tmp_path / "dead")
    notifier = Notifier([hook], in_command, dead, lambda m: ("prod", "bob"), FixedClock(T0), retry_channel=patient)
    second = OutboxMessage("ev-2", "PromotionApproved", {"request_id": "p-2", "approvers": ["bob"]}, T0)

    sent = notifier.notify([APPROVED, second])

    assert sent == 0
    assert len(receiver.requests) == 1  # the second event was not sent to the subscriber that hung
    assert [(d.id, d.attempts) for d in dead.list()] == [("ev-1.audit", 1), ("ev-2.audit", 0)]
    assert dead.list()[0].reason == "no answer (ReadTimeout)"
    assert dead.list()[1].reason == "not tried: the subscriber failed earlier in this relay"

    retried = notifier.retry()

    assert retried.delivered == ("ev-1.audit", "ev-2.audit") and retried.failed == ()
    assert [r.json()["data"]["request_id"] for r in receiver.requests[1:]] == ["p-1", "p-2"]
    assert dead.list() == []
