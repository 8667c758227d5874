"""A promotion through the real CLI notifies a Teams workflow and a signed webhook (a local receiver), and a
refused notification is a dead letter that `fabctl notify` lists and `fabctl notify retry` delivers."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from cli import run, run_json
from refusals import SOURCE
from webhook_receiver import webhook_receivers

receivers = pytest.fixture(webhook_receivers)
SUBSCRIBERS = """\
notifications:
  - name: release-channel
    kind: teams
    url: $ENV:SALES_TEAMS_URL
    events: [PromotionRequested, PromotionSucceeded]
    environments: [test]
  - name: audit
    kind: webhook
    url: $ENV:SALES_HOOK_URL
    signing_key: $ENV:SALES_HOOK_KEY
    events: [PromotionRequested]
"""
SIGNATURE = "sig=S3CRETSIG"


def subscribed(cwd: Path, monkeypatch: pytest.MonkeyPatch, teams_url: str, hook_url: str) -> None:
    (cwd / "notifications.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    (cwd / "fabctl.toml").write_text('notifications_file = "notifications.yaml"\n', encoding="utf-8")
    # Not FABCTL_* variables: the CLI's runner passes these through (tests/e2e/cli.py).
    monkeypatch.setenv("SALES_TEAMS_URL", teams_url)
    monkeypatch.setenv("SALES_HOOK_URL", hook_url)
    monkeypatch.setenv("SALES_HOOK_KEY", "k3y")


def test_a_promotion_through_the_cli_notifies_teams_and_the_webhook(
    deployed_dev: Path, receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = deployed_dev.parent
    teams, hook = receivers(), receivers()
    subscribed(cwd, monkeypatch, teams.url(f"/workflows/x?{SIGNATURE}"), hook.url())

    request = run_json(cwd, "promote", "request", SOURCE, "--from", "dev", "--user", "alice")
    approved = run_json(cwd, "promote", "approve", request["id"], "--user", "bob")

    assert approved["state"] == "succeeded"
    cards = [r.json()["attachments"][0]["content"] for r in teams.requests]
    facts = [{f["title"]: f["value"] for f in card["body"][2]["facts"]} for card in cards]
    assert [(f["Event"], f["Request"], f["Environment"]) for f in facts] == [
        ("PromotionRequested", request["id"], "test"),
        ("PromotionSucceeded", request["id"], "test"),
    ]
    assert facts[0]["Actor"] == "alice" and facts[1]["Transaction"] == approved["transaction_id"]
    [event] = hook.requests
    assert (
        event.json()["type"] == "fabctl.PromotionRequested.v1" and event.json()["data"]["request_id"] == request["id"]
    )
    assert event.headers["x-fabctl-signature"] == "sha256=" + hmac.new(b"k3y", event.body, hashlib.sha256).hexdigest()


def test_a_refused_notification_is_a_dead_letter_the_cli_lists_and_retries(
    deployed_dev: Path, receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = deployed_dev.parent
    teams, hook = receivers([(404, {})]), receivers()
    subscribed(cwd, monkeypatch, teams.url(f"/workflows/x?{SIGNATURE}"), hook.url())

    requested = run(cwd, "promote", "request", SOURCE, "--from", "dev", "--user", "alice", "--output", "json")

    assert requested.returncode == 0, requested.stderr  # the command succeeded
    assert SIGNATURE not in requested.stdout + requested.stderr
    events = run_json(cwd, "events")
    assert next(e for e in events if e["type"] == "PromotionRequested")["published_at"]  # the bus took it
    assert len(hook.requests) == 1  # the other subscriber was served
    [letter] = run_json(cwd, "notify", "list")
    assert (letter["event"], letter["subscription"], letter["reason"]) == (
        "PromotionRequested", "release-channel", "HTTP 404",
    )  # fmt: skip
    assert SIGNATURE not in str(letter)

    retried = run_json(cwd, "notify", "retry")

    assert retried == {"delivered": [letter["id"]], "failed": []}
    assert len(teams.requests) == 2 and run_json(cwd, "notify", "list") == []


def test_a_notifications_file_with_a_mistake_stops_the_command_naming_the_field(deployed_dev: Path) -> None:
    cwd = deployed_dev.parent
    (cwd / "notifications.yaml").write_text(
        "notifications:\n"
        "  - {name: t, kind: teams, url: 'https://x.example/?sig=S3CRETSIG', events: [PromotionFailed]}\n",
        encoding="utf-8",
    )
    (cwd / "fabctl.toml").write_text('notifications_file = "notifications.yaml"\n', encoding="utf-8")

    result = run(cwd, "promote", "request", SOURCE, "--from", "dev", "--user", "alice")

    assert result.returncode == 2
    assert "notifications.yaml" in result.stderr and "notifications[0].url" in result.stderr
    assert "S3CRETSIG" not in result.stderr and "Traceback" not in result.stderr
    (cwd / "fabctl.toml").unlink()
    assert run_json(cwd, "promote", "list") == []  # nothing was requested
