"""Notifications wired by bootstrap(): a promotion's events reach the subscribers of notifications.yaml after
the event bus took them, and a subscriber that keeps failing blocks neither the command nor the bus."""

from __future__ import annotations

from pathlib import Path

import pytest
from webhook_receiver import webhook_receivers

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.notifications.dead_letters import FileDeadLetters
from fabctl.adapters.notifications.http_channel import DeliveryPolicy, HttpxNotificationChannel
from fabctl.adapters.secrets.memory import InMemorySecretStore
from fabctl.adapters.source.memory import InMemorySourceReader
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.adapters.system.machine import InMemoryMachine
from fabctl.domain.commands import ApprovePromotion, ExecuteDeployment, RequestPromotion
from fabctl.domain.workspace import Workspace
from fabctl.entrypoints.bootstrap import App, bootstrap
from fabctl.entrypoints.settings import Settings

from .world import CONFIG, PARAMETERS, SOURCE, parameter_rules, release_config, source_items

receivers = pytest.fixture(webhook_receivers)
SUBSCRIBERS = """\
notifications:
  - name: release-channel
    kind: teams
    url: $secret:teams-url
    events: [PromotionRequested, PromotionApproved]
    environments: [test]
"""


def wired(tmp_path: Path, url: str) -> App:
    (tmp_path / "notifications.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    secrets = InMemorySecretStore({"teams-url": url})
    reader = InMemorySourceReader(
        workspaces={SOURCE: Workspace.of("sales", source_items())},
        configs={CONFIG: release_config()},
        parameters={PARAMETERS: parameter_rules()},
    )
    settings = Settings(state_store="memory", fabric="memory", user="tester", state_dir=tmp_path / "state",
                        notifications_file=tmp_path / "notifications.yaml")  # fmt: skip
    fast = DeliveryPolicy(attempts=2, backoff_s=0.0, timeout_s=2.0)
    return bootstrap(
        settings,
        reader=reader,
        clock=FixedClock(),
        ids=SequentialIdGenerator("id"),
        gateway=LocalFabricGateway(FabricTenant.in_memory()),
        machine=InMemoryMachine(),
        secrets=secrets,
        notification_channel=HttpxNotificationChannel(secrets.get_secret, fast),
    )


def request_promotion(app: App) -> str:
    assert app.bus.handle(ExecuteDeployment("deploy-dev", SOURCE, "dev", "ci")).succeeded
    return str(app.bus.handle(RequestPromotion("req-1", SOURCE, "dev", "alice")).id)


def test_a_promotion_notifies_the_subscriber_with_its_environment_and_actor(receivers, tmp_path: Path) -> None:
    receiver = receivers()
    app = wired(tmp_path, receiver.url())
    request_id = request_promotion(app)
    app.bus.handle(ApprovePromotion("approve-1", request_id, "bob"))

    cards = [r.json()["attachments"][0]["content"] for r in receiver.requests]
    facts = [{f["title"]: f["value"] for f in card["body"][2]["facts"]} for card in cards]
    assert [f["Event"] for f in facts] == ["PromotionRequested", "PromotionApproved"]
    assert facts[0]["Environment"] == "test" and facts[0]["Actor"] == "alice"
    # PromotionApproved names neither environment nor actor: they come from the promotion in the state store.
    assert facts[1]["Environment"] == "test" and facts[1]["Actor"] == "bob"
    assert all(f["Request"] == request_id for f in facts)


def test_a_failing_subscriber_blocks_neither_the_command_nor_the_event_bus(receivers, tmp_path: Path) -> None:
    receiver = receivers([(503, {}), (503, {})])
    app = wired(tmp_path, receiver.url())

    request_id = request_promotion(app)  # the command succeeded: it returned its promotion

    published = [m.type for m in app.publisher.published]  # type: ignore[attr-defined]
    assert "PromotionRequested" in published
    with app.uow:
        assert app.uow.outbox.pending() == []
    assert len(receiver.requests) == 2
    [letter] = FileDeadLetters(tmp_path / "state" / "notifications" / "dead-letters").list()
    assert letter.message.type == "PromotionRequested" and letter.message.payload["request_id"] == request_id
    assert letter.reason == "HTTP 503"
    assert app.notifier is not None
    assert app.notifier.retry().delivered == (letter.id,)
    assert len(receiver.requests) == 3
