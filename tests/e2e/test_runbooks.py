"""Every command of every runbook in docs/runbooks/, run in order through the real CLI against the emulator,
each in the scenario its runbook is for (docs/runbooks/README.md says how the commands are written).

Each test prepares what the on-call engineer would meet (a failed publish, a SIGKILLed deploy, a throttling
emulator, a leaked secret, a freeze window around now), runs the runbook as written, asserting every line's
exit code, then checks that the runbook did what it says.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli import EXAMPLE
from deploy_process import kill_after_steps, write_source
from emulator_process import RunningEmulator, configure, requests_log, running_emulator
from runbook_commands import Stray, commands
from runbook_runner import Scenario, run_runbook
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity
from sources import EMULATOR_ARGS, items

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
GOVERNED = EXAMPLE.parent / "governed-workspace"
TESTED = {
    "deploying.md",
    "promoting.md",
    "failed-deployment.md",
    "stuck-transaction.md",
    "throttling.md",
    "compromised-credential.md",
    "emergency-change-during-freeze.md",
}
NOTEBOOK = "Notebooks/Load Sales.Notebook/notebook-content.py"


def sales(tmp_path: Path, emulator: RunningEmulator, folder: str = "sales") -> Scenario:
    """A copy of the sales example in `tmp_path/folder`, fabctl pointed at the emulator by FABCTL_FABRIC_URL."""
    shutil.copytree(EXAMPLE, tmp_path / folder)
    scenario = Scenario(tmp_path, {"FABCTL_FABRIC_URL": emulator.url})
    scenario.values["SOURCE_DIR"] = lambda: folder
    return scenario


def deployed(scenario: Scenario, *environments: str, source: str = "sales") -> None:
    for environment in environments:
        result = scenario.fabctl("deploy", source, "--env", environment)
        assert result.returncode == 0, result.stdout + result.stderr


def states(scenario: Scenario) -> list[tuple[str, str]]:
    return [(t["environment"], t["state"]) for t in scenario.json("tx", "list")]


def test_every_runbook_is_tested_and_holds_no_command_the_test_cannot_run() -> None:
    runbooks = {p.name for p in RUNBOOKS.glob("*.md")} - {"README.md"}
    assert runbooks == TESTED
    for name in sorted(runbooks):
        assert commands(RUNBOOKS / name), f"{name} has no command"
    assert "```console" not in (RUNBOOKS / "README.md").read_text(encoding="utf-8")  # its examples are not run


def test_a_command_outside_a_console_block_or_not_fabctl_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("```text\n$ fabctl tx list\n```\n", encoding="utf-8")
    other = tmp_path / "other.md"
    other.write_text("```console\n$ az login\n```\n", encoding="utf-8")
    piped = tmp_path / "piped.md"
    piped.write_text("```console\n$ fabctl tx list -o json | jq .\n```\n", encoding="utf-8")
    for path, message in ((outside, "outside a ```console block"), (other, "is not a fabctl command"),
                          (piped, "only one fabctl command")):  # fmt: skip
        with pytest.raises(Stray, match=message):
            commands(path)


def test_the_annotations_give_exit_code_actor_and_output_file(tmp_path: Path) -> None:
    path = tmp_path / "one.md"
    path.write_text(
        "```console\n"
        "$ X_TRACE=t.jsonl fabctl audit export --since <SINCE> > a.jsonl  # exits 2; as bob@contoso.com: why\n"
        "```\n",
        encoding="utf-8",
    )
    [command] = commands(path)
    assert (command.env, command.args, command.stdout_to) == (
        {"X_TRACE": "t.jsonl"}, ["audit", "export", "--since", "<SINCE>"], "a.jsonl",
    )  # fmt: skip
    assert (command.exits, command.actor, command.line) == (2, "bob@contoso.com", 2)


def test_deploying(tmp_path: Path, emulator: RunningEmulator) -> None:
    scenario = sales(tmp_path, emulator)
    deployed(scenario, "dev", "test", "prod")  # an existing team: every environment's workspace exists
    with (tmp_path / "sales" / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write("print('late orders too')\n")
    scenario.values["TX_ID"] = scenario.newest_transaction

    ran = run_runbook(RUNBOOKS / "deploying.md", scenario)

    assert states(scenario) == [
        ("dev", "committed"),
        ("test", "committed"),
        ("prod", "committed"),
        ("dev", "committed"),
    ]
    report = json.loads((tmp_path / "deploy.json").read_text())
    assert [o["item"] for o in report["outcomes"] if o["status"] == "done"] == ["Load Sales.Notebook"]
    assert "<testsuite" in (tmp_path / "deploy.xml").read_text()
    assert "late orders too" in next(r for r in ran if "--diff" in r.args).result.stdout


def test_promoting(tmp_path: Path, emulator: RunningEmulator) -> None:
    scenario = sales(tmp_path, emulator)
    deployed(scenario, "dev")
    scenario.values["REQUEST_ID"] = scenario.newest_request

    ran = run_runbook(RUNBOOKS / "promoting.md", scenario)

    [request] = scenario.json("promote", "list")
    assert (request["state"], request["requested_by"], request["target_environment"]) == (
        "succeeded", "alice@contoso.com", "test",
    )  # fmt: skip
    assert [a["approver"] for a in request["approvals"]] == ["bob@contoso.com"]
    assert "separation of duties" in ran[4].result.stderr
    assert states(scenario) == [("dev", "committed"), ("test", "committed")]
    assert len(items(emulator, "Sales (test)")) == 8


def test_failed_deployment(tmp_path: Path, emulator: RunningEmulator) -> None:
    scenario = sales(tmp_path, emulator)
    configure(emulator, failing_publishes=["SalesSpark"])  # Fabric fails the environment's publish
    failing = scenario.fabctl("deploy", "sales", "--env", "dev")
    assert failing.returncode == 3, failing.stdout + failing.stderr
    failed = scenario.newest_transaction()
    configure(emulator, failing_publishes=[])  # ... and then recovers
    scenario.values["TX_ID"] = lambda: failed

    ran = run_runbook(RUNBOOKS / "failed-deployment.md", scenario)

    assert "EnvironmentPublishFailed" in ran[1].result.stdout  # tx show names Fabric's error
    assert states(scenario) == [("dev", "rolled_back"), ("dev", "committed")]
    assert len(items(emulator, "Sales (dev)")) == 8


def test_stuck_transaction(tmp_path: Path, emulator: RunningEmulator) -> None:
    jobs = [(f"Job {n}", "Jobs", "", "v1") for n in range(8)]
    write_source(tmp_path / "jobs", "Jobs (dev)", jobs)
    configure(emulator, latency_ms=150)  # slow enough that the kill lands while it writes
    stuck = kill_after_steps(tmp_path, "jobs", emulator.url, 2, 0.0)
    configure(emulator, latency_ms=0)
    scenario = Scenario(tmp_path, {"FABCTL_FABRIC_URL": emulator.url})
    scenario.values.update(SOURCE_DIR=lambda: "jobs", TX_ID=lambda: stuck)

    ran = run_runbook(RUNBOOKS / "stuck-transaction.md", scenario)

    assert f"fabctl tx recover {stuck}" in ran[0].result.stderr
    assert stuck in ran[1].result.stdout  # doctor's "unfinished work"
    by_id = {t["id"]: t["state"] for t in scenario.json("tx", "list")}
    assert by_id[stuck] in ("committed", "failed")  # settled: committed if nothing was left to resume
    assert sorted(items(emulator, "Jobs (dev)")) == [f"Job {n}.Notebook" for n in range(8)]


def test_throttling(tmp_path: Path, emulator: RunningEmulator) -> None:
    scenario = sales(tmp_path, emulator)
    configure(emulator, throttle_rpm=15, throttle_window_s=2.0)  # a first deploy needs far more requests

    run_runbook(RUNBOOKS / "throttling.md", scenario)

    assert requests_log(emulator)["throttled"] > 0
    traced = [json.loads(line) for line in (tmp_path / "fabric-trace.jsonl").read_text().splitlines()]
    throttled = [t for t in traced if t["status"] == 429]
    assert throttled and all("RequestBlocked" in t["responseBody"] for t in throttled)
    assert states(scenario) == [("dev", "committed"), ("dev", "committed")]


# --- a compromised credential: signed in for real, against an emulator that checks tokens ------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("world"))


@pytest.fixture
def guarded(world: SignedInIdentity, tmp_path: Path) -> Iterator[RunningEmulator]:
    args = (*EMULATOR_ARGS, "--require-token-from", AUTHORITY_URL)
    with running_emulator(*args, tmp_path=tmp_path, env=world.network()) as emulator:
        yield emulator


def test_compromised_credential(tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator) -> None:
    env = {**world.environment("client-secret"), "FABCTL_FABRIC_URL": guarded.url}
    scenario = Scenario(tmp_path, env, user="")
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    deployed(scenario, "dev", "test", "prod")
    since = datetime.now(UTC).isoformat(timespec="seconds")
    # With the leaked secret: a deployment of someone else's copy, and a promotion request.
    shutil.copytree(EXAMPLE, tmp_path / "elsewhere")
    with (tmp_path / "elsewhere" / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write("print('exfiltrate')\n")
    deployed(scenario, "dev", source="elsewhere")
    suspect = scenario.newest_transaction()
    requested = scenario.fabctl("promote", "request", "elsewhere", "--from", "dev")
    assert requested.returncode == 0, requested.stderr
    leaked, rotated = PRINCIPAL.secret, "rotated-identity-secret-2c7e"  # test-only values
    world.authority.principal = replace(world.authority.principal, secret=rotated)  # rotated in "Entra"
    try:
        scenario.env["AZURE_CLIENT_SECRET"] = rotated
        scenario.values.update(
            SOURCE_DIR=lambda: "sales", TX_ID=lambda: suspect, SINCE=lambda: since,
            REQUEST_ID=scenario.newest_request,
        )  # fmt: skip

        ran = run_runbook(RUNBOOKS / "compromised-credential.md", scenario)

        assert f"application {PRINCIPAL.client_id} (object id {world.object_id}" in ran[0].result.stdout
        old = scenario.fabctl("doctor", "sales", AZURE_CLIENT_SECRET=leaked)
        assert old.returncode == 2 and leaked not in old.stdout + old.stderr
    finally:
        world.authority.principal = replace(world.authority.principal, secret=leaked)
    exported = [json.loads(line) for line in (tmp_path / "audit-since-leak.jsonl").read_text().splitlines()]
    assert [(e["actor"], e["object_id"], e["action"]) for e in exported] == [
        (PRINCIPAL.client_id, world.object_id, "requested"),
    ]  # exported before the runbook cancels it
    assert [r["state"] for r in scenario.json("promote", "list")] == ["cancelled"]
    assert f"by {PRINCIPAL.client_id} (verified, object id {world.object_id})" in ran[2].result.stdout  # tx show
    events = json.loads((tmp_path / "events.json").read_text())
    started = [e["payload"] for e in events if e["type"] in ("DeploymentStarted", "PromotionRequested")]
    assert len(started) == 5 and {(p.get("actor", p.get("requested_by")), p["actor_object_id"]) for p in started} == {
        (PRINCIPAL.client_id, world.object_id)
    }  # 4 deployments, 1 request: the revert in the runbook came after the export
    assert [t["state"] for t in scenario.json("tx", "list")] == ["committed"] * 5  # 3 deploys, the suspect, its revert
    assert "exfiltrate" not in json.dumps(items(guarded, "Sales (dev)"))
    assert leaked not in "".join(r.result.stdout + r.result.stderr for r in ran)


# --- an emergency change during a freeze -------------------------------------------------------------------

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONE = "Europe/Amsterdam"


def day_time(at: datetime) -> str:
    local = at.astimezone(ZoneInfo(ZONE))
    return f"{DAYS[local.weekday()]} {local:%H:%M}"


def test_emergency_change_during_freeze(tmp_path: Path, emulator: RunningEmulator) -> None:
    # promote request judges the real time (no setting moves its clock): the freeze is made to cover now.
    shutil.copytree(GOVERNED, tmp_path / "governed")
    config = tmp_path / "governed" / "workspace-config.yaml"
    now = datetime.now(UTC)
    weekend = '{name: weekend, from: "Friday 16:00", to: "Monday 08:00", time_zone: Europe/Amsterdam}'
    around_now = f'{{name: release-freeze, from: "{day_time(now - timedelta(days=1))}", ' \
                 f'to: "{day_time(now + timedelta(days=1))}", time_zone: {ZONE}}}'  # fmt: skip
    assert weekend in config.read_text()
    config.write_text(config.read_text().replace(weekend, around_now))
    scenario = Scenario(tmp_path, {"FABCTL_FABRIC_URL": emulator.url})
    deployed(scenario, "dev", source="governed")
    scenario.values.update(
        SOURCE_DIR=lambda: "governed", CHANGE=lambda: "CHG1234567", REQUEST_ID=scenario.newest_request,
        SINCE=lambda: now.isoformat(timespec="seconds"),
    )  # fmt: skip

    ran = run_runbook(RUNBOOKS / "emergency-change-during-freeze.md", scenario)

    assert "freeze window release-freeze" in ran[0].result.stderr
    assert "needs an approval from a member of group 'change-board'" in ran[4].result.stderr
    [request] = scenario.json("promote", "list")
    assert (request["state"], request["emergency"], request["change"]) == ("succeeded", True, "CHG1234567")
    exported = [json.loads(line) for line in (tmp_path / "emergency-audit.jsonl").read_text().splitlines()]
    actions = [(e["actor"], e["action"]) for e in exported]
    assert ("alice@contoso.com", "emergency") in actions and ("dana@contoso.com", "emergency approved") in actions
    assert states(scenario) == [("dev", "committed"), ("test", "committed")]
