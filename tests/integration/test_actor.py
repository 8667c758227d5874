"""Who ran it is recorded: every transaction, and every transaction event, names its actor
(`--user`, else $FABCTL_USER, else the OS user); `tx recover` and `tx revert` record who ran them."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_process import environment, fabctl, kill_after_steps, write_source
from emulator_process import RunningEmulator, configure
from state_journal import journal

TRANSACTION_EVENTS = {
    "DeploymentStarted", "ItemDeployed", "TransactionCommitted", "DeploymentFailed", "TransactionRolledBack",
    "RollbackIncomplete",
}  # fmt: skip
V0 = [(f"Job {n}", "Jobs", "", "v0") for n in range(6)]
V1 = [(f"Job {n}", "Jobs", "", "v1") for n in range(6)]


def actors_of_events(cwd: Path, transaction_id: str) -> set[str]:
    shown = fabctl(cwd, "events", "--limit", "1000", "--output", "json")
    assert shown.returncode == 0, shown.stderr
    mine = [e for e in json.loads(shown.stdout) if e["type"] in TRANSACTION_EVENTS]
    return {e["payload"]["actor"] for e in mine if e["payload"]["transaction_id"] == transaction_id}


def by_id(cwd: Path) -> dict[str, dict[str, object]]:
    return {str(t["id"]): t for t in journal(cwd)}


def test_deploy_and_revert_record_who_ran_them_in_the_journal_the_events_and_tx_list(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    url = fresh_emulator.url
    write_source(tmp_path / "v0", "Target", V0)
    write_source(tmp_path / "v1", "Target", V1)
    assert fabctl(tmp_path, "deploy", "v0", "--env", "dev", "--fabric-url", url, "--user", "alice").returncode == 0
    by_env = fabctl(tmp_path, "deploy", "v1", "--env", "dev", "--fabric-url", url, env=environment(FABCTL_USER="dana"))
    assert by_env.returncode == 0, by_env.stderr
    first, second = (str(t["id"]) for t in journal(tmp_path))
    reverted = fabctl(tmp_path, "tx", "revert", second, "--user", "bob", "--output", "json")
    assert reverted.returncode == 0, reverted.stderr
    revert = json.loads(reverted.stdout)["transaction_id"]

    journals = by_id(tmp_path)
    assert [journals[t]["actor"] for t in (first, second, revert)] == ["alice", "dana", "bob"]
    assert actors_of_events(tmp_path, first) == {"alice"}
    assert actors_of_events(tmp_path, second) == {"dana"}
    assert actors_of_events(tmp_path, revert) == {"bob"}
    listed = fabctl(tmp_path, "tx", "list")
    assert all(name in listed.stdout for name in ("alice", "dana", "bob")), listed.stdout
    shown = fabctl(tmp_path, "tx", "show", first)
    assert "by alice" in shown.stdout, shown.stdout


def test_recover_records_who_ran_it(fresh_emulator: RunningEmulator, tmp_path: Path) -> None:
    write_source(tmp_path / "v1", "Target", V1)
    configure(fresh_emulator, latency_ms=40, lro_ms=60)
    crashed = kill_after_steps(tmp_path, "v1", fresh_emulator.url, 2, 0.0, "--user", "alice")
    configure(fresh_emulator, latency_ms=0, lro_ms=0)

    resumed = fabctl(tmp_path, "tx", "recover", crashed, "--resume", "--force", "--user", "carol", "--output", "json")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    completing = json.loads(resumed.stdout)["deployment"]["transaction_id"]
    journals = by_id(tmp_path)
    assert (journals[crashed]["actor"], journals[crashed]["recovered_by"]) == ("alice", "carol")
    assert journals[completing]["actor"] == "carol"
    assert actors_of_events(tmp_path, completing) == {"carol"}
    assert "carol" in actors_of_events(tmp_path, crashed)  # how it ended: carol closed it
    assert "recovered by carol" in fabctl(tmp_path, "tx", "show", crashed).stdout
