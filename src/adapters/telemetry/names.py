"""The metrics fabctl emits, with their units (UCUM, as OpenTelemetry asks): the one list the adapters and
the docs share. Counters have the unit "1" (or "{name}" for a count of things, OpenTelemetry's style)."""

from __future__ import annotations

UNITS = {
    "fabctl.deployments": "{deployment}",
    "fabctl.deployment.duration": "s",
    "fabctl.item.writes": "{write}",
    "fabctl.items_deployed": "{item}",
    "fabctl.items_failed": "{item}",
    "fabctl.fabric.throttled": "{response}",
    "fabctl.fabric.throttle.wait": "s",
    "fabctl.rollbacks": "{rollback}",
    "fabctl.promotion.lead_time": "s",
    "fabctl.promotion.approval_wait": "s",
}


# Histogram buckets, in seconds: the SDK's default (0 to 10 000) would put every promotion, which waits hours
# or days for its approvals, in its last bucket.
_MINUTES_TO_AN_HOUR = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
_HOURS_TO_A_WEEK = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 8 * 3600.0, 86400.0, 2 * 86400.0, 7 * 86400.0)
BUCKETS = {
    "fabctl.deployment.duration": _MINUTES_TO_AN_HOUR,
    "fabctl.fabric.throttle.wait": (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
    "fabctl.promotion.lead_time": _HOURS_TO_A_WEEK,
    "fabctl.promotion.approval_wait": _HOURS_TO_A_WEEK,
}


def unit_of(name: str) -> str:
    return UNITS.get(name, "1")


def buckets_of(name: str) -> tuple[float, ...] | None:
    return BUCKETS.get(name)
