"""The sources and the seeded kill points of the crash-recovery tests (SQLite and Azure state alike)."""

from __future__ import annotations

import random

SEED = 20261123
LATENCY = {"latency_ms": 40, "lro_ms": 60}

# (name, folder, description, version tag): v1 changes content, a description, a folder, and adds items.
V0 = [
    ("Job 0", "Jobs", "", "v0"),
    ("Job 1", "Jobs", "", "v0"),
    ("Job 2", "Jobs", "", "v0"),
    ("Job 3", "Jobs", "", "v0"),
    *[(f"Job {n}", "Batch", "", "v0") for n in range(6, 12)],
]
V1 = [
    ("Job 0", "Jobs", "", "v1"),
    ("Job 1", "Jobs/Moved", "", "v1"),
    ("Job 2", "Jobs", "now described", "v1"),
    ("Job 3", "Jobs", "", "v0"),
    ("Job 4", "New", "", "v1"),
    ("Job 5", "New/Deeper", "", "v1"),
    *[(f"Job {n}", "Batch", "", "v1") for n in range(6, 12)],
]


def points(count: int, offset: int) -> list[tuple[int, float, int]]:
    """(steps journaled before the kill, extra delay in seconds, workers): seeded, so every run kills
    at the same points."""
    rng = random.Random(SEED + offset)
    return [(rng.randint(1, 14), rng.uniform(0.0, 0.06), rng.choice((2, 8))) for _ in range(count)]
