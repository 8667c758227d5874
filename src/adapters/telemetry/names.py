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


def unit_of(name: str) -> str:
    return UNITS.get(name, "1")
