"""notifications.yaml: subscribers validated at the edge, errors naming the file and the field, never a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.notifications_file import read_notifications
from fabctl.application.notifier import Subscription
from fabctl.domain.errors import InvalidConfiguration


def written(tmp_path: Path, text: str) -> str:
    path = tmp_path / "notifications.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refusal(tmp_path: Path, text: str) -> InvalidConfiguration:
    with pytest.raises(InvalidConfiguration) as caught:
        read_notifications(written(tmp_path, text))
    return caught.value


def test_subscribers_are_read_with_their_references(tmp_path: Path) -> None:
    config = read_notifications(written(tmp_path, """
notifications:
  - {name: release-channel, kind: teams, url: "$secret:teams-url", events: [PromotionRequested], environments: [prod]}
  - {name: audit, kind: webhook, url: "$ENV:AUDIT_URL", signing_key: "$secret:audit-key", events: [DeploymentFailed]}
"""))  # fmt: skip
    assert config.subscriptions == (
        Subscription("release-channel", "teams", "$secret:teams-url", frozenset({"PromotionRequested"}),
                     frozenset({"prod"})),
        Subscription("audit", "webhook", "$ENV:AUDIT_URL", frozenset({"DeploymentFailed"}),
                     signing_key="$secret:audit-key"),
    )  # fmt: skip
    assert config.warnings == ()


def test_a_literal_webhook_url_is_allowed_with_a_warning_that_does_not_repeat_it(tmp_path: Path) -> None:
    config = read_notifications(written(tmp_path, """
notifications:
  - {name: hook, kind: webhook, url: "https://hooks.example.com/t0ken", events: [PromotionSucceeded]}
"""))  # fmt: skip
    [warning] = config.warnings
    assert "notifications[0].url of 'hook'" in warning and "t0ken" not in warning


def test_a_literal_teams_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    error = refusal(tmp_path, """
notifications:
  - {name: t, kind: teams, url: "https://prod-1.logic.azure.com/workflows/x?sig=S3CRET", events: [PromotionFailed]}
""")  # fmt: skip
    assert (error.field, error.subject) == ("notifications[0].url", str(tmp_path / "notifications.yaml"))
    assert "S3CRET" not in str(error)


def test_an_unknown_event_is_named_with_a_suggestion(tmp_path: Path) -> None:
    error = refusal(tmp_path, """
notifications:
  - {name: t, kind: webhook, url: "$secret:u", events: [PromotionApproved, PromotionAproved]}
""")  # fmt: skip
    assert error.field == "notifications[0].events[1]"
    assert "unknown event 'PromotionAproved'" in str(error) and "did you mean 'PromotionApproved'" in str(error)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('{name: t, kind: slack, url: "$secret:u", events: [PromotionFailed]}', "notifications[0].kind"),
        ('{name: t, kind: webhook, url: "ftp://x/y", events: [PromotionFailed]}', "notifications[0].url"),
        ('{name: t, kind: webhook, url: "$secret:u", events: []}', "notifications[0].events"),
        ('{name: t, kind: webhook, url: "$secret:u", events: [PromotionFailed], signing_key: k}',
         "notifications[0].signing_key"),
        ('{name: t, kind: teams, url: "$secret:u", events: [PromotionFailed], signing_key: "$secret:k"}',
         "notifications[0].signing_key"),
        ('{name: t, kind: webhook, url: "$secret:u", events: [PromotionFailed], evnts: []}',
         "notifications[0].evnts"),
    ],
)  # fmt: skip
def test_each_mistake_names_its_field(tmp_path: Path, entry: str, field: str) -> None:
    assert refusal(tmp_path, f"notifications:\n  - {entry}\n").field == field


def test_two_subscribers_of_one_name_are_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, """
notifications:
  - {name: t, kind: webhook, url: "$secret:u", events: [PromotionFailed]}
  - {name: t, kind: webhook, url: "$secret:v", events: [PromotionFailed]}
""")  # fmt: skip
    assert error.field == "notifications[1].name"
