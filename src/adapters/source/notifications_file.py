"""`notifications.yaml`: who is told of which events, validated at the edge like `workspace-config.yaml`::

    notifications:
      - name: release-channel             # unique; dead letters and `fabctl notify retry` name it
        kind: teams                       # a Teams workflow webhook: an adaptive card
        url: $secret:teams-release-url    # or $ENV:NAME; a Teams URL carries its signature, so never literal
        events: [PromotionRequested, PromotionApproved, PromotionFailed, DeploymentFailed]
        environments: [prod]              # optional: only events about these environments
      - name: audit-hook
        kind: webhook                     # a CloudEvent, application/cloudevents+json
        url: https://hooks.example.com/fabctl   # literal: allowed for a webhook, with a warning
        signing_key: $secret:audit-hook-key     # optional: X-Fabctl-Signature: sha256=<HMAC of the body>
        events: [PromotionSucceeded]

Every problem raises `InvalidConfiguration` naming the file and the field, e.g. `notifications[1].events[0]`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from fabctl.adapters.source.config_files import NonEmptyStr, _load_yaml, _Strict, suggest, validate_model
from fabctl.application.notifier import Subscription
from fabctl.domain import events as domain_events
from fabctl.domain.errors import InvalidConfiguration

EVENT_NAMES = frozenset(
    name
    for name, kind in inspect.getmembers(domain_events, inspect.isclass)
    if issubclass(kind, domain_events.Event) and kind is not domain_events.Event and dataclasses.is_dataclass(kind)
)
_REFERENCE = re.compile(r"\$(secret|ENV):[A-Za-z0-9_-]{1,127}")


def _known_event(value: str) -> str:
    if value not in EVENT_NAMES:
        raise ValueError(f"unknown event '{value[:80]}'{suggest(value, EVENT_NAMES)}; see docs/events.md")
    return value


def _url_or_reference(value: str) -> str:
    if value.startswith("$"):
        if not _REFERENCE.fullmatch(value):
            raise ValueError("must be $secret:NAME or $ENV:NAME (letters, digits, '-' and '_')")
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be $secret:NAME, $ENV:NAME or an http(s) URL")  # the value is not repeated
    return value


def _reference(value: str) -> str:
    if not _REFERENCE.fullmatch(value):
        raise ValueError("must be $secret:NAME or $ENV:NAME: a key is never written in the file")
    return value


class SubscriberModel(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    kind: Literal["teams", "webhook"]
    url: Annotated[str, AfterValidator(_url_or_reference)]
    events: Annotated[list[Annotated[str, AfterValidator(_known_event)]], Field(min_length=1)]
    environments: list[NonEmptyStr] = Field(default_factory=list)
    signing_key: Annotated[str, AfterValidator(_reference)] | None = None


class NotificationsModel(_Strict):
    notifications: list[SubscriberModel] = Field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class NotificationsConfig:
    subscriptions: tuple[Subscription, ...]
    warnings: tuple[str, ...]  # for the log: they name subscribers, never their URLs


def read_notifications(path: str) -> NotificationsConfig:
    """The subscribers of the notifications file at `path`."""
    data = _load_yaml(path)
    if not isinstance(data, dict):
        raise InvalidConfiguration("must be a YAML mapping with a 'notifications' list", subject=path)
    config = validate_model(NotificationsModel, data, path)
    seen: set[str] = set()
    subscriptions, warnings = [], []
    for index, subscriber in enumerate(config.notifications):
        where = f"notifications[{index}]"
        if subscriber.name in seen:
            raise InvalidConfiguration(
                f"'{subscriber.name}' names two subscribers", subject=path, field=f"{where}.name"
            )
        seen.add(subscriber.name)
        literal = not subscriber.url.startswith("$")
        if literal and subscriber.kind == "teams":
            raise InvalidConfiguration(
                "a Teams workflow URL carries its signature: keep it in a secret and give $secret:NAME (or $ENV:NAME)",
                subject=path,
                field=f"{where}.url",
            )
        if subscriber.signing_key and subscriber.kind != "webhook":
            raise InvalidConfiguration("only a webhook is signed", subject=path, field=f"{where}.signing_key")
        if literal:
            warnings.append(f"{path}: {where}.url of '{subscriber.name}' is written in the file; prefer $secret:NAME")
        subscriptions.append(
            Subscription(
                name=subscriber.name,
                kind=subscriber.kind,
                url=subscriber.url,
                events=frozenset(subscriber.events),
                environments=frozenset(subscriber.environments),
                signing_key=subscriber.signing_key or "",
            )
        )
    return NotificationsConfig(tuple(subscriptions), tuple(warnings))
