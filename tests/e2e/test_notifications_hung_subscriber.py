"""A webhook subscriber that never answers, through the real CLI: the deploy that relays its own events is not held
by it (one short attempt, no retries, the subscriber not tried again in that relay), every notification it was owed
is kept as a dead letter, and `fabctl notify retry` delivers them all once the subscriber answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import run, run_json
from refusals import SOURCE
from webhook_receiver import HANG, webhook_receivers

receivers = pytest.fixture(webhook_receivers)
SUBSCRIBER = """\
notifications:
  - name: audit
    kind: webhook
    url: $ENV:SALES_HOOK_URL
    events: [DeploymentStarted, TransactionCommitted]
"""


def test_a_hung_webhook_costs_the_deploy_one_short_attempt_and_notify_retry_delivers_what_it_missed(
    workspace: Path, receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = workspace.parent
    hook = receivers([HANG])  # the first request is held unanswered; once the script is spent, it answers 200
    (cwd / "notifications.yaml").write_text(SUBSCRIBER, encoding="utf-8")
    (cwd / "fabctl.toml").write_text('notifications_file = "notifications.yaml"\n', encoding="utf-8")
    monkeypatch.setenv("SALES_HOOK_URL", hook.url())  # not a FABCTL_* variable: the CLI's runner passes it on

    deployed = run(cwd, "deploy", SOURCE, "--env", "dev", "--output", "json")

    assert deployed.returncode == 0, deployed.stderr
    assert "Traceback" not in deployed.stderr
    assert len(hook.requests) == 1  # tried once; the later event was not sent to a subscriber that hung
    letters = run_json(cwd, "notify", "list")
    assert [(x["event"], x["subscription"], x["attempts"], x["reason"]) for x in letters] == [
        ("DeploymentStarted", "audit", 1, "no answer (ReadTimeout)"),
        ("TransactionCommitted", "audit", 0, "not tried: the subscriber failed earlier in this relay"),
    ]

    retried = run_json(cwd, "notify", "retry")

    assert retried == {"delivered": [x["id"] for x in letters], "failed": []}
    assert [r.json()["type"] for r in hook.requests[1:]] == [
        "fabctl.DeploymentStarted.v1", "fabctl.TransactionCommitted.v1",
    ]  # fmt: skip
    assert run_json(cwd, "notify", "list") == []
