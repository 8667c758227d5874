"""SIGKILL a real `fabctl deploy` mid-way at seeded random points, then `fabctl tx recover`.

After `--rollback` the workspace equals its snapshot from before the deployment; after `--resume`
it equals what an uninterrupted deployment of the same source produces, the records agree with the
workspace (a plan, trusting them, and a plan with --refresh, reading everything, both find nothing
to do), and the interrupted transaction is committed only if nothing was left for the resume to do.
Never a duplicate item. The kill lands after the deployment journaled N steps (N random), read from
the SQLite state as another process would, plus a random few milliseconds, so writes are caught in
flight. The killed process is gone, on this host: recover takes over its lease without `--force`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crash_points import LATENCY, V0, V1, points
from deploy_process import content, fabctl, kill_after_steps, workspace, write_source
from emulator_process import RunningEmulator, configure
from state_journal import journal

ROLLBACK_POINTS = 12
RESUME_POINTS = 20


@pytest.mark.parametrize(("steps", "delay", "workers"), points(ROLLBACK_POINTS, 0))
def test_recover_rollback_after_a_kill_restores_the_workspace_exactly(
    fresh_emulator: RunningEmulator, tmp_path: Path, steps: int, delay: float, workers: int
) -> None:
    name = f"Crash rollback {steps} {delay:.4f}"
    write_source(tmp_path / "v0", name, V0)
    write_source(tmp_path / "v1", name, V1)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    first = fabctl(tmp_path, "deploy", "v0", "--env", "dev", "--fabric-url", fresh_emulator.url)
    assert first.returncode == 0, first.stderr
    before = workspace(fresh_emulator, name)

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(tmp_path, "v1", fresh_emulator.url, steps, delay, workers=workers)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    refused = fabctl(tmp_path, "deploy", "v1", "--env", "dev", "--fabric-url", fresh_emulator.url)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--rollback", "--output", "json")  # no --force

    assert refused.returncode == 2 and f"fabctl tx recover {crashed}" in refused.stderr, refused.stderr
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert json.loads(recovered.stdout)["state"] == "rolled_back"
    assert workspace(fresh_emulator, name) == before  # byte for byte: definitions, names, folders
    assert not (tmp_path / ".fabctl" / "local-fabric.db").exists()  # recover reached the journaled Fabric only


@pytest.mark.parametrize(("steps", "delay", "workers"), points(RESUME_POINTS, 1))
def test_recover_resume_after_a_kill_ends_where_an_uninterrupted_deploy_ends(
    fresh_emulator: RunningEmulator, tmp_path: Path, steps: int, delay: float, workers: int
) -> None:
    name = f"Crash resume {steps} {delay:.4f}"
    reference = f"Reference {steps} {delay:.4f}"
    for folder, target in (("v0", name), ("v1", name), ("reference-v0", reference), ("reference", reference)):
        write_source(tmp_path / folder, target, V1 if folder.endswith(("v1", "reference")) else V0)
    url = fresh_emulator.url
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    for folder in ("reference-v0", "reference", "v0"):
        assert fabctl(tmp_path, "deploy", folder, "--env", "dev", "--fabric-url", url).returncode == 0

    configure(fresh_emulator, **LATENCY)
    crashed = kill_after_steps(tmp_path, "v1", url, steps, delay, workers=workers)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume", "--output", "json")  # no --force

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    document = json.loads(recovered.stdout)
    assert document["deployment"]["state"] == "committed"
    assert content(workspace(fresh_emulator, name)) == content(workspace(fresh_emulator, reference))
    by_id = {t["id"]: t for t in journal(tmp_path)}
    resumed = by_id[document["deployment"]["transaction_id"]]
    # The interrupted transaction commits only if its deployment was complete: nothing left to resume.
    assert (by_id[crashed]["state"], bool(resumed["steps"])) in {("committed", False), ("failed", True)}
    for extra in ((), ("--refresh",)):  # the records agree with the workspace: nothing to do either way
        plan = fabctl(tmp_path, "plan", "v1", "--env", "dev", "--fabric-url", url, "--output", "json", *extra)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": len(V1)}
