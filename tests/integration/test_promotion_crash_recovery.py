"""A promotion whose deploying process is SIGKILLed is settled by `fabctl tx recover` of its transaction:
nothing else can end it once the process is gone, and a request left `deploying` can never be retried.

`--rollback` ends the request rolled back (the target workspace as before); `--resume` completes the
deployment and ends it succeeded, but only while the approval still covers what the resume would deploy
(it reads the source again): after an edit, the resume is refused, naming the difference, and the
request stays open for a rollback. The kill lands once the journal shows the deployment writing.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from deploy_process import content, fabctl, start, wait_for_journal, workspace, write_source
from emulator_process import RunningEmulator, configure
from state_journal import journal

ITEMS = [(f"Job {n}", "Jobs", "", "v1") for n in range(8)]
CONFIG = """environments:
  dev:
    workspace: "Promoted (dev)"
  test:
    workspace: "Promoted (test)"
    promotion:
      approvals: 1
"""


def _requested(tmp_path: Path, emulator: RunningEmulator) -> str:
    """v1 deployed to dev and 'test' seeded with an older v0 deployment; a promotion of v1 into test."""
    write_source(tmp_path / "old", "Promoted (test)", [(n, f, d, "v0") for n, f, d, _ in ITEMS])
    write_source(tmp_path / "src", "Promoted (dev)", ITEMS)
    (tmp_path / "src" / "workspace-config.yaml").write_text(CONFIG)
    configure(emulator, latency_ms=0, lro_ms=0)
    for source in ("old", "src"):
        deployed = fabctl(tmp_path, "deploy", source, "--env", "dev", "--fabric-url", emulator.url)
        assert deployed.returncode == 0, deployed.stderr
    requested = fabctl(
        tmp_path, "promote", "request", "src", "--from", "dev", "--user", "alice",
        "--fabric-url", emulator.url, "--output", "json",
    )  # fmt: skip
    assert requested.returncode == 0, requested.stderr
    return str(json.loads(requested.stdout)["id"])


def _approve_and_kill(tmp_path: Path, emulator: RunningEmulator, request_id: str) -> str:
    """`promote approve` SIGKILLed once its deployment journaled two steps; the transaction it left."""
    configure(emulator, latency_ms=60, lro_ms=60)
    process = start(tmp_path, "promote", "approve", request_id, "--user", "bob", "--fabric-url", emulator.url)
    try:
        writing = wait_for_journal(tmp_path, lambda t: t["state"] == "started" and len(t["steps"]) >= 2, process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        process.communicate()
    configure(emulator, latency_ms=0, lro_ms=0)
    return str(writing["id"])


def _shown(tmp_path: Path, request_id: str) -> dict[str, Any]:
    shown = fabctl(tmp_path, "promote", "show", request_id, "--output", "json")
    assert shown.returncode == 0, shown.stderr
    return dict(json.loads(shown.stdout))


def test_a_rollback_of_a_killed_promotion_ends_the_request_rolled_back(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    request_id = _requested(tmp_path, fresh_emulator)
    before = content(workspace(fresh_emulator, "Promoted (test)"))
    crashed = _approve_and_kill(tmp_path, fresh_emulator, request_id)
    assert _shown(tmp_path, request_id)["state"] == "deploying"  # what the kill leaves behind

    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--rollback", "--output", "json")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    shown = _shown(tmp_path, request_id)
    assert shown["state"] == "rolled_back", shown
    assert [e["action"] for e in shown["audit"]][-2:] == ["failed", "rolled_back"]
    assert content(workspace(fresh_emulator, "Promoted (test)")) == before


def test_a_resume_of_a_killed_promotion_completes_it(fresh_emulator: RunningEmulator, tmp_path: Path) -> None:
    request_id = _requested(tmp_path, fresh_emulator)
    crashed = _approve_and_kill(tmp_path, fresh_emulator, request_id)

    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume", "--output", "json")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert json.loads(recovered.stdout)["deployment"]["state"] == "committed"
    assert _shown(tmp_path, request_id)["state"] == "succeeded"
    promoted = content(workspace(fresh_emulator, "Promoted (test)"))
    assert content(workspace(fresh_emulator, "Promoted (dev)"))["items"] == promoted["items"]


def test_a_resume_is_refused_once_the_approved_content_changed(fresh_emulator: RunningEmulator, tmp_path: Path) -> None:
    request_id = _requested(tmp_path, fresh_emulator)
    crashed = _approve_and_kill(tmp_path, fresh_emulator, request_id)
    edited = tmp_path / "src" / "Jobs" / "Job 3.Notebook" / "notebook-content.py"
    edited.write_text("# Fabric notebook source\n\nprint('not what bob approved')\n")

    refused = fabctl(tmp_path, "tx", "recover", crashed, "--resume")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Job 3" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert _shown(tmp_path, request_id)["state"] == "deploying"
    assert [t["state"] for t in journal(tmp_path) if t["id"] == crashed] == ["started"]  # untouched
