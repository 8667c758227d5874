"""One emulator process for the whole session; every test that asks for `fresh_emulator` gets it
reset (empty tenant, zeroed counters) and back on the session's default knobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_process import RunningEmulator, configure, reset, running_emulator

# Small durations keep the suite fast; long enough that a poll sees an operation still running.
# Deleted item names stay reserved for 10 minutes (fixed at start): a test that deletes an item and
# re-creates its name in the same workspace meets ItemDisplayNameNotAvailableYet, as in Fabric.
SESSION_ARGS = ("--lro-ms", "1000", "--sql-endpoint-ms", "400", "--name-reservation-seconds", "600")
DEFAULT_KNOBS = {
    "fault_rate": 0.0,
    "fault_kinds": ["500", "reset", "token-expired", "failed-operation"],
    "fault_weights": {},
    "throttle_rpm": 0,
    "throttle_window_s": 60.0,
    "latency_ms": 0,
    "lro_ms": 1000,
    "lro_share": 1.0,
    "page_size": 0,
    "seed": 0,
    "reserved_name_status": 409,
    # The fast profile's (emulator_process starts the server with it): Retry-After follows the operation.
    "create_retry_after_s": 0,
    "publish_retry_after_s": 0,
    "refuse_early_polls": False,
    "publish_ms": 0,
    "failing_publishes": [],
    "job_ms": 0,
    "job_failure_rate": 0.0,
    "failing_jobs": [],
}


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    workdir: Path = tmp_path_factory.mktemp("emulator")
    with running_emulator(*SESSION_ARGS, tmp_path=workdir) as running:
        yield running


@pytest.fixture
def fresh_emulator(emulator: RunningEmulator) -> RunningEmulator:
    configure(emulator, **DEFAULT_KNOBS)
    reset(emulator)
    return emulator
