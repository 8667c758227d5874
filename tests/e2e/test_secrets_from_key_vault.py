"""`$secret:NAME` through the real CLI: read from Key Vault (the real SecretClient, signed in with
azure-identity, over TLS, through the local vault), deployed into Fabric (the emulator), and found nowhere
else: not in any output, report, trace, byte of the state folder, or export of the telemetry (OTLP to a local
receiver: span attributes, metric points, log records), after a deploy, a plan, a failing deploy and its rollback,
and a revert.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import COMMAND, _environment
from emulator_process import RunningEmulator, configure, snapshot
from otlp_receiver import OtlpReceiver, running_otlp_receiver
from secret_search import files_holding, holds
from sources import SOURCE, api, items, new_source, notebook, part, write_file, write_item
from vault_world import PRINCIPAL, VAULT_URL, VaultWorld, vault_world

FAILED = 3
PARAMETERS = "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$secret:DB_PASSWORD'}}\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultWorld]:
    yield from vault_world(tmp_path_factory.mktemp("vault-world"))


class Runs:
    """Every fabctl run of one test, with its outputs kept for the search."""

    def __init__(
        self, cwd: Path, emulator: RunningEmulator, world: VaultWorld, telemetry: OtlpReceiver | None = None
    ) -> None:
        self.cwd, self.emulator, self.world, self.telemetry = cwd, emulator, world, telemetry
        self.outputs: list[str] = []

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**_environment("dora"), **self.world.environment(), "FABCTL_FABRIC_TRACE": "trace.jsonl"}
        if self.telemetry is not None:  # exported over OTLP to the receiver (reached directly: NO_PROXY)
            env |= {"FABCTL_TELEMETRY": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": self.telemetry.endpoint}
        result = subprocess.run(
            [*COMMAND, *args, "--fabric-url", self.emulator.url],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.outputs += [result.stdout, result.stderr]
        return result


def canary() -> str:
    return f"canary-{uuid.uuid4().hex}"


# A connection whose password is a secret too: sent to Fabric on every deploy, kept nowhere by fabctl.
CONNECTION_CONFIG = (
    'environments:\n  dev:\n    workspace: "Engine (dev)"\n    connections:\n'
    '      sales-sql: {type: SQL, path: "contoso.database.windows.net;sales", credentials: '
    '{kind: Basic, username: svc_sales, password: "$secret:SQL_PASSWORD"}}\n'
)


def source(cwd: Path, code: str = "x = 'TOKEN'", cores: int = 4) -> Path:
    """A notebook and an Environment both holding TOKEN, a notebook without it, and a connection."""
    root = new_source(cwd, CONNECTION_CONFIG)
    write_file(root / "parameter.yml", PARAMETERS)
    write_item(root, "Notebook", "Load", notebook(code), logical_id="7d3f0c4e-1a2b-4c5d-8e9f-0a1b2c3d4e5f")
    write_item(root, "Notebook", "Other", notebook("y = 1"), logical_id="8e4a1d5f-2b3c-4d6e-9fa0-1b2c3d4e5f60")
    spark = {
        "Setting/Sparkcompute.yml": f"enable_native_execution_engine: false\ndriver_cores: {cores}\n",
        "Libraries/PublicLibraries/environment.yml": "# TOKEN\ndependencies:\n  - pip:\n    - pandas==2.2.2\n",
    }
    write_item(root, "Environment", "Spark", spark, logical_id="9f5b2e60-3c4d-4e7f-a0b1-2c3d4e5f6071")
    return root


def test_a_secret_from_key_vault_is_deployed_and_stored_nowhere(
    tmp_path: Path, emulator: RunningEmulator, world: VaultWorld
) -> None:
    value, password = canary(), canary()
    world.vault.put("DB-PASSWORD", value)
    world.vault.put("SQL-PASSWORD", password)
    source(tmp_path)
    with running_otlp_receiver() as telemetry:
        fabctl = Runs(tmp_path, emulator, world, telemetry)
        every_path(fabctl, value)

    for secret in (value, password):
        leaks = [f"output {i}" for i, text in enumerate(fabctl.outputs) if holds(text, secret)]
        leaks += files_holding(tmp_path / ".fabctl", secret)
        leaks += [
            name
            for name in ("r1.json", "j1.xml", "r2.json", "j2.xml", "trace.jsonl")
            if holds((tmp_path / name).read_bytes(), secret)
        ]
        leaks += [f"telemetry export {i}" for i, body in enumerate(telemetry.bodies) if holds(body, secret)]
        assert leaks == []
    assert "/connections" in (tmp_path / "trace.jsonl").read_text()  # the trace saw the connection writes
    assert files_holding(tmp_path / ".fabctl", "\x00$secret:DB_PASSWORD\x00")  # sealed: the name is kept
    assert "getDefinition" in (tmp_path / "trace.jsonl").read_text()  # the trace saw the definitions
    assert not any(holds(text, PRINCIPAL.secret) for text in fabctl.outputs)
    assert not any(holds(body, PRINCIPAL.secret) for body in telemetry.bodies)
    # The search read the telemetry of every path: the exports held their spans, rollbacks and log records.
    assert not telemetry.refused
    assert {"fabctl.command", "fabctl.deploy", "fabctl.item"} <= {s.name for s in telemetry.spans}
    assert any(s.attributes.get("item") == "Load.Notebook" for s in telemetry.spans)
    assert any(holds(body, "Load.Notebook") for body in telemetry.bodies)  # the raw search sees attribute text
    triggers = {p["trigger"] for m in telemetry.metrics if m.name == "fabctl.rollbacks" for p in m.points}
    assert triggers == {"on_error", "revert"}
    assert telemetry.logs


def every_path(fabctl: Runs, value: str) -> None:
    """A deploy, a plan, a failing deploy rolled back, a deploy and its revert: each checked as it ends."""
    emulator, world, tmp_path = fabctl.emulator, fabctl.world, fabctl.cwd
    first = fabctl("deploy", SOURCE, "--env", "dev", "-o", "json", "--report", "r1.json", "--junit", "j1.xml")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"x = '{value}'" in part(items(emulator)["Load.Notebook"], "notebook-content.py")  # Fabric holds it
    assert world.vault.reads("DB-PASSWORD") >= 1 and world.vault.challenges >= 1
    assert world.vault.reads("SQL-PASSWORD") >= 1
    assert [c["displayName"] for c in api(emulator, "GET", "connections")["value"]] == ["sales-sql"]

    again = fabctl("plan", SOURCE, "--env", "dev", "--diff", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["no-op"] == 3  # the same value: nothing to change

    # Both items holding the secret change, the Environment's publish fails, and the deployment is rolled
    # back to what Fabric held (before-images holding the secret's value, as Fabric does).
    source(tmp_path, "x = 'TOKEN'  # v2", cores=8)
    configure(emulator, failing_publishes=["Spark"])
    failing = fabctl(
        "deploy", SOURCE, "--env", "dev", "--on-error", "rollback", "-o", "json", "--report", "r2.json",
        "--junit", "j2.xml",
    )  # fmt: skip
    assert failing.returncode == FAILED, failing.stdout + failing.stderr
    assert json.loads(failing.stdout)["state"] == "rolled_back", failing.stdout
    configure(emulator, failing_publishes=[])
    assert f"x = '{value}'\n" in part(items(emulator)["Load.Notebook"], "notebook-content.py")
    # Deployed for real, then reverted by a later process: the before-image it restores held the secret
    # sealed (its name); the value is read from the vault again and put back.
    second = fabctl("deploy", SOURCE, "--env", "dev", "-o", "json")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"x = '{value}'  # v2" in part(items(emulator)["Load.Notebook"], "notebook-content.py")
    reverted = fabctl("tx", "revert", json.loads(second.stdout)["transaction_id"], "-o", "json")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    assert part(items(emulator)["Load.Notebook"], "notebook-content.py").endswith(f"x = '{value}'\n")


def test_a_missing_secret_is_one_error_naming_it_and_the_vault(
    tmp_path: Path, emulator: RunningEmulator, world: VaultWorld
) -> None:
    root = source(tmp_path)
    write_file(root / "parameter.yml", PARAMETERS.replace("DB_PASSWORD", "NOT_IN_VAULT"))
    result = Runs(tmp_path, emulator, world)("deploy", SOURCE, "--env", "dev")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"secret NOT_IN_VAULT (read as NOT-IN-VAULT): not in Key Vault {VAULT_URL} (SecretNotFound)" in lines[0]
    assert "replace_value" in lines[0]
    assert snapshot(emulator)["workspaces"] == []  # refused before any write


def test_a_vault_refusing_the_identity_is_exit_2_naming_the_setting_and_role(
    tmp_path: Path, emulator: RunningEmulator, world: VaultWorld
) -> None:
    world.vault.put("DB-PASSWORD", canary())
    source(tmp_path)
    world.vault.readers = {"another-principal"}
    try:
        result = Runs(tmp_path, emulator, world)("plan", SOURCE, "--env", "dev")
    finally:
        world.vault.readers = None

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "FABCTL_KEY_VAULT_URL" in result.stderr and "'Key Vault Secrets User' role" in result.stderr
    assert "403 Forbidden" in result.stderr
