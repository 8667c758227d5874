"""The checks' results as one JSON document: `fabctl doctor -o json` and `/api/health` print the same shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fabctl.entrypoints.doctor.outcome import CheckResult


def report(results: Sequence[CheckResult]) -> dict[str, Any]:
    return {
        "ok": all(r.ok for r in results),
        "checks": [{"name": r.name, "status": r.status.value, "detail": r.detail, "fix": r.fix} for r in results],
    }
