"""The base of aggregates: they record events on themselves and never publish them."""

from __future__ import annotations

from dataclasses import dataclass, field

from fabctl.domain.events import Event


@dataclass
class Aggregate:
    events: list[Event] = field(default_factory=list, compare=False, repr=False, kw_only=True)

    def record(self, event: Event) -> None:
        self.events.append(event)

    @property
    def withholds_events(self) -> bool:
        """Whether its events are kept in the outbox without ever being sent (the `publish_events` flag)."""
        return False
