"""A promotion whose deployment meets a Fabric failure (not a domain error) ends `failed`, through the
real CLI against the emulator: the request says why, `PromotionFailed` is published, `promote approve`
exits 3, and a second approval is a clean refusal rather than a request stuck in `deploying`."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli import EXAMPLE, run_json
from emulator_process import RunningEmulator, configure, requests_log
from sources import fabctl, fabctl_json

DEPLOYMENT_FAILED = 3


def test_a_gateway_failure_during_the_deployment_fails_the_promotion(tmp_path: Path, emulator: RunningEmulator) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    fabctl_json(tmp_path, emulator, "deploy", "sales", "--env", "dev")
    request = fabctl_json(tmp_path, emulator, "promote", "request", "sales", "--from", "dev", "--user", "alice")
    # From now on every call to Fabric is refused with 401 TokenExpired: the deployment to `test`
    # cannot even look its workspace up.
    configure(emulator, fault_rate=1.0, fault_kinds=["token-expired"])

    approved = fabctl(tmp_path, emulator, "promote", "approve", request["id"], "--user", "bob")

    faults = requests_log(emulator)["faults"].get("token-expired", 0)
    configure(emulator, fault_rate=0.0)
    output = f"stdout:\n{approved.stdout}\nstderr:\n{approved.stderr}"
    assert faults > 0, "the fault was never injected: the test proves nothing"
    assert approved.returncode == DEPLOYMENT_FAILED, output
    assert "Traceback" not in approved.stdout + approved.stderr, output
    assert "TokenExpired" in approved.stderr, output
    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert shown["state"] == "failed" and "TokenExpired" in shown["reason"], shown
    assert [e["action"] for e in shown["audit"]] == ["requested", "approved", "deploying", "failed"]
    published = run_json(tmp_path, "events", "--limit", "500")
    failed = [e for e in published if e["type"] == "PromotionFailed"]
    assert [e["payload"]["request_id"] for e in failed] == [request["id"]], published

    retried = fabctl(tmp_path, emulator, "promote", "approve", request["id"], "--user", "carol")

    assert retried.returncode == 2, f"stdout:\n{retried.stdout}\nstderr:\n{retried.stderr}"
    assert "cannot approve a request that is failed" in retried.stderr
    assert "Traceback" not in retried.stdout + retried.stderr
