"""After `tx recover --rollback` of a failed deployment, fabctl's records no longer claim the content
the rollback removed: the next deployment of that content writes it again.

A failed deployment (`--on-error stop|continue`, or Ctrl-C) records what it did write. Undoing it
later must not leave those records behind: the planner trusts a record whose hash matches what it
would deploy, and would call the item unchanged while the workspace holds the old content again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from deploy_process import fabctl, workspace, write_source
from emulator_process import RunningEmulator, configure
from state_journal import journal

JOBS_V0 = [(f"Job {n}", "Jobs", "", "v0") for n in range(6)]
JOBS_V1 = [(f"Job {n}", "Jobs", "", "v1") for n in range(6)]
DOOMED = [("Job 9", "Jobs", "", "v1")]  # its name is still reserved after its deletion: its create fails


def test_a_redeploy_after_rolling_back_a_failed_deployment_writes_everything_again(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    url = fresh_emulator.url
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    write_source(tmp_path / "v0", "Target", JOBS_V0 + DOOMED)
    for folder, items in (("v1", JOBS_V1 + DOOMED), ("v1b", JOBS_V1)):
        write_source(tmp_path / folder, "Target", items)

    def deploy(folder: str, *extra: str) -> int:
        return fabctl(tmp_path, "deploy", folder, "--env", "dev", "--fabric-url", url, *extra).returncode

    assert deploy("v0") == 0
    shutil.rmtree(tmp_path / "v0" / "Jobs" / "Job 9.Notebook")
    assert deploy("v0", "--delete-orphans") == 0  # Job 9 deleted: its name stays reserved for a while
    assert deploy("v1", "--on-error", "continue") == 3  # every job updated, Job 9 refused
    failed = journal(tmp_path)[-1]
    assert failed["state"] == "failed"
    rolled = fabctl(tmp_path, "tx", "recover", failed["id"], "--rollback")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr

    plan = fabctl(tmp_path, "plan", "v1b", "--env", "dev", "--fabric-url", url, "--output", "json")
    assert json.loads(plan.stdout)["summary"]["update"] == len(JOBS_V1), plan.stdout
    assert deploy("v1b") == 0
    texts = [json.dumps(i["definition"]) for i in workspace(fresh_emulator, "Target")["items"]]
    assert len(texts) == len(JOBS_V1) and all("v1 Job" in t for t in texts)
