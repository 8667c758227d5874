"""Automatic rollback (`on_error=rollback`) against the emulator over HTTP puts the workspace back exactly.

A baseline of the example is deployed, then a changed source (definition and description updates,
a new item in a new folder, a move). A gateway wrapper fails the Nth write permanently; after the
rollback the emulator's snapshot (definitions, names, folders; ids left out) equals the one taken
before, byte for byte, for every N the change has a write at.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_process import RunningEmulator, configure, requests_log, snapshot

from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.application.deployment.results import DeploymentResult
from fabctl.application.errors import GatewayError
from fabctl.domain.commands import ExecuteDeployment
from fabctl.entrypoints.bootstrap import App, bootstrap
from fabctl.entrypoints.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"
WRITES = frozenset(
    {"create_item", "update_definition", "update_item", "delete_item", "move_item", "create_folder", "delete_folder"}
)


class FailingNthWrite:
    """Delegates to a real gateway; the `fail_at`-th write (1-based, counted across threads) raises."""

    def __init__(self, inner: HttpxFabricGateway, fail_at: int, on_failure: Callable[[], None] | None = None) -> None:
        self._inner = inner
        self._fail_at = fail_at
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self.writes: list[str] = []  # the writes attempted, in order
        self.failed: str = ""

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name not in WRITES:
            return target

        def write(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.writes.append(name)
                fail = len(self.writes) == self._fail_at
                if fail:
                    self.failed = name
            if fail:
                if self._on_failure is not None:
                    self._on_failure()
                raise GatewayError(f"injected permanent failure of write {self._fail_at} ({name})", error_code="Test")
            return target(*args, **kwargs)

        return write


def change_source(source: Path) -> None:
    """Updates (definition; description with a move; definition and description) and a create in a new folder."""
    load = source / "Notebooks" / "Load Sales.Notebook" / "notebook-content.py"
    load.write_text(load.read_text(encoding="utf-8") + "\n# second version\n", encoding="utf-8")
    transform = source / "Notebooks" / "Transform Sales.Notebook"
    platform = json.loads((transform / ".platform").read_text(encoding="utf-8"))
    platform["metadata"]["description"] = "Builds the curated sales table, v2"
    (transform / ".platform").write_text(json.dumps(platform), encoding="utf-8")
    shutil.move(transform, source / "Orchestration" / "Transform Sales.Notebook")
    model = source / "Sales Model.SemanticModel" / "definition" / "tables" / "Sales.tmdl"
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    model_platform = source / "Sales Model.SemanticModel" / ".platform"
    platform = json.loads(model_platform.read_text(encoding="utf-8"))
    platform["metadata"]["description"] = "Sales star schema, v2"
    model_platform.write_text(json.dumps(platform), encoding="utf-8")
    extra = source / "Scratch" / "Extra.Notebook"
    shutil.copytree(source / "Notebooks" / "Load Sales.Notebook", extra)
    platform = json.loads((extra / ".platform").read_text(encoding="utf-8"))
    platform["metadata"]["displayName"] = "Extra"
    platform["config"]["logicalId"] = "0d1c9f4e-2b7a-4c55-9a33-7e1f0b8d2c61"
    (extra / ".platform").write_text(json.dumps(platform), encoding="utf-8")


@pytest.fixture
def emulator_for_rollback(fresh_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """No long-running operations (their Retry-After is a whole second): the loop stays fast."""
    knobs = configure(fresh_emulator)  # no changes: just the current values
    configure(fresh_emulator, lro_share=0.0)
    yield fresh_emulator
    configure(
        fresh_emulator, **{k: knobs[k] for k in ("lro_share", "throttle_rpm", "fault_rate", "fault_kinds", "seed")}
    )


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    baseline, changed = tmp_path / "baseline", tmp_path / "changed"
    shutil.copytree(EXAMPLE, baseline)
    shutil.copytree(EXAMPLE, changed)
    change_source(changed)
    return baseline, changed


def http_gateway(emulator: RunningEmulator) -> HttpxFabricGateway:
    return HttpxFabricGateway(
        emulator.url, max_retries=8, retry_backoff_s=0.005, retry_backoff_max_s=0.05, lro_poll_interval_s=0.01,
        circuit_failure_threshold=1000,
    )  # fmt: skip


def deploy(app: App, source: Path, **options: Any) -> DeploymentResult:
    command = ExecuteDeployment(str(uuid.uuid4()), str(source), "dev", "tester", **options)
    result: DeploymentResult = app.bus.handle(command)
    return result


def application(emulator: RunningEmulator, state_dir: Path, gateway: object) -> App:
    return bootstrap(Settings(fabric_url=emulator.url, state_dir=state_dir), gateway=gateway)


# The writes the change makes, in order, one item at a time (`max_workers=1` makes the order fixed).
CHANGE_WRITES = (
    "create_folder",  # Scratch
    "create_item",  # Extra.Notebook
    "update_definition",  # Load Sales.Notebook: definition only
    "update_item",  # Transform Sales.Notebook: description only
    "move_item",  # Transform Sales.Notebook -> Orchestration
    "update_definition",  # Sales Model.SemanticModel: its definition, one journal step ...
    "update_item",  # ... and its description, the next step (a failure here still undoes the first)
)
POSITIONS = list(range(1, len(CHANGE_WRITES) + 1))


def baseline_then_change(
    emulator: RunningEmulator, sources: tuple[Path, Path], state_dir: Path, fail_at: int
) -> tuple[dict[str, Any], DeploymentResult, FailingNthWrite]:
    """Deploy the baseline, snapshot, then deploy the change failing at write `fail_at`."""
    baseline, changed = sources
    with http_gateway(emulator) as inner:
        assert deploy(application(emulator, state_dir, inner), baseline).state == "committed"
        before = snapshot(emulator, ids=False)
        failing = FailingNthWrite(inner, fail_at)
        app = application(emulator, state_dir, failing)
        result = deploy(app, changed, on_error="rollback", max_workers=1)
    return before, result, failing


def test_the_change_makes_the_writes_the_positions_cover(
    emulator_for_rollback: RunningEmulator, sources: tuple[Path, Path], tmp_path: Path
) -> None:
    _, result, counting = baseline_then_change(emulator_for_rollback, sources, tmp_path, fail_at=0)

    assert result.state == "committed", result
    assert counting.writes == list(CHANGE_WRITES)


@pytest.mark.parametrize("n", POSITIONS)
def test_a_permanent_failure_at_each_write_is_rolled_back_exactly(
    emulator_for_rollback: RunningEmulator, sources: tuple[Path, Path], tmp_path: Path, n: int
) -> None:
    before, result, failing = baseline_then_change(emulator_for_rollback, sources, tmp_path, fail_at=n)

    assert failing.failed == CHANGE_WRITES[n - 1]
    assert result.state == "rolled_back", (result.error, result.outcomes)
    after = snapshot(emulator_for_rollback, ids=False)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


def test_rollback_under_throttling_and_transient_faults_converges(
    emulator_for_rollback: RunningEmulator, sources: tuple[Path, Path], tmp_path: Path
) -> None:
    """500s and connection resets hit the change and its rollback, and the rollback is throttled
    (429 with Retry-After): retries get every undo through, and the workspace ends as it began.

    The emulator's window is shortened from Fabric's minute to 3 s, which is all the one throttling costs.
    """
    baseline, changed = sources
    emulator = emulator_for_rollback

    def throttle_from_now_on() -> None:
        # The window counts from now: the first undo calls are admitted, then the minute's budget is
        # spent and the rest wait once for Retry-After (the rollback makes fewer than 2 x 5 calls).
        configure(emulator, throttle_rpm=5, throttle_window_s=3)

    with http_gateway(emulator) as inner:
        assert deploy(application(emulator, tmp_path, inner), baseline).state == "committed"
        before = snapshot(emulator, ids=False)
        configure(emulator, fault_rate=0.2, fault_kinds=["500", "reset"], seed=11)
        failing = FailingNthWrite(inner, len(CHANGE_WRITES) - 1, on_failure=throttle_from_now_on)
        app = application(emulator, tmp_path, failing)
        result = deploy(app, changed, on_error="rollback", max_workers=1)
        configure(emulator, throttle_rpm=0, fault_rate=0.0)

    assert failing.failed == "update_definition"  # of the last update: five steps to undo
    assert result.state == "rolled_back", (result.error, result.outcomes)
    assert snapshot(emulator, ids=False) == before
    log = requests_log(emulator)
    assert log["throttled"] > 0, log
    assert log["statuses"].get("500", 0) + log["faults"].get("reset", 0) > 0, log
