"""The real CLI signed in with FABCTL_AUTH=client-secret against an emulator that requires tokens from
the local Entra-like authority (`--require-token-from`, signatures checked against its keys): the actor
recorded is the service principal, verified; `--user` is then refused; a token from another authority
is answered 401 and ends in one line, exit 2. On the embedded local default, `--user` names the actor,
recorded and shown as unverified."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import EXAMPLE, run, run_json
from deploy_process import environment, fabctl
from emulator_process import RunningEmulator, requests_log, running_emulator
from entra_authority import principal_object_id
from signed_in_identity import AUTHORITY_URL, PRINCIPAL, SignedInIdentity, signed_in_identity
from sources import EMULATOR_ARGS, SOURCE, new_source, notebook, one_error_line, write_item


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    yield from signed_in_identity(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInIdentity]:
    """Another authority with the same tenant and principal, but its own signing key and network."""
    yield from signed_in_identity(tmp_path_factory.mktemp("stranger"))


@pytest.fixture(scope="module")
def guarded(world: SignedInIdentity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    args = (*EMULATOR_ARGS, "--require-token-from", AUTHORITY_URL)
    with running_emulator(*args, tmp_path=tmp_path_factory.mktemp("emulator"), env=world.network()) as emulator:
        yield emulator


def unauthorized(emulator: RunningEmulator) -> int:
    """How many API requests the emulator has refused for their token."""
    return sum(n for route, n in requests_log(emulator)["byRoute"].items() if route.endswith("(unauthorized)"))


def _source(cwd: Path) -> None:
    root = new_source(cwd)
    write_item(root, "Notebook", "Load Sales", notebook("print('hello')"))


def _signed_in(cwd: Path, world: SignedInIdentity, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return fabctl(cwd, *args, env=environment(**{**world.environment("client-secret"), **extra}))


def test_a_signed_in_deploy_records_the_service_principal_as_the_verified_actor(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator
) -> None:
    _source(tmp_path)
    asked = len(world.authority.requests())
    trace = tmp_path / "trace.jsonl"

    deployed = _signed_in(
        tmp_path, world, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url, "-o", "json",
        FABCTL_FABRIC_TRACE=str(trace),
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    # One token for the whole process: the actor was read from the very token the Fabric client then sent.
    assert [r.scope for r in world.authority.requests()[asked:]] == ["https://api.fabric.microsoft.com/.default"]
    traced = trace.read_text()
    assert '"authorization": "***"' in traced and "Bearer ey" not in traced and "eyJ" not in traced
    transaction_id = json.loads(deployed.stdout)["transaction_id"]
    shown = _signed_in(tmp_path, world, "tx", "show", transaction_id, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    journal = json.loads(shown.stdout)
    assert (journal["actor"], journal["actor_object_id"], journal["actor_verified"]) == (
        PRINCIPAL.client_id, principal_object_id(PRINCIPAL.client_id), True,
    )  # fmt: skip
    text = _signed_in(tmp_path, world, "tx", "show", transaction_id)
    assert f"by {PRINCIPAL.client_id} (verified, object id {principal_object_id(PRINCIPAL.client_id)})" in text.stdout
    events = json.loads(_signed_in(tmp_path, world, "events", "--limit", "100", "-o", "json").stdout)
    started = [e["payload"] for e in events if e["type"] == "DeploymentStarted"]
    assert [(p["actor"], p["actor_object_id"]) for p in started] == [
        (PRINCIPAL.client_id, principal_object_id(PRINCIPAL.client_id))
    ]
    everything = deployed.stdout + deployed.stderr + shown.stdout + text.stdout + json.dumps(events)
    assert PRINCIPAL.secret not in everything
    assert requests_log(guarded)["total"] > 0


def test_user_is_refused_when_signed_in(tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator) -> None:
    _source(tmp_path)
    before = requests_log(guarded)["total"]

    refused = _signed_in(
        tmp_path, world, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url, "--user", "alice"
    )

    line = one_error_line(refused)
    assert "--user" in line and "signs in (FABCTL_AUTH=client-secret)" in line, line
    assert requests_log(guarded)["total"] == before  # refused before Fabric was called
    by_variable = _signed_in(
        tmp_path, world, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url, FABCTL_USER="alice"
    )
    assert "FABCTL_USER" in one_error_line(by_variable)


def test_a_token_from_another_authority_gets_fabrics_401_and_one_line(
    tmp_path: Path, stranger: SignedInIdentity, guarded: RunningEmulator
) -> None:
    _source(tmp_path)
    before = unauthorized(guarded)

    refused = _signed_in(tmp_path, stranger, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url)

    line = one_error_line(refused)
    assert "InvalidToken" in line, line
    assert PRINCIPAL.secret not in refused.stdout + refused.stderr
    assert unauthorized(guarded) > before


def test_no_token_at_all_gets_fabrics_401(tmp_path: Path, guarded: RunningEmulator) -> None:
    _source(tmp_path)
    before = unauthorized(guarded)

    refused = fabctl(tmp_path, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url)

    assert "Unauthorized" in one_error_line(refused)
    assert unauthorized(guarded) > before


def test_on_the_local_default_user_names_the_actor_recorded_as_unverified(tmp_path: Path) -> None:
    _source(tmp_path)

    deployed = fabctl(tmp_path, "deploy", SOURCE, "--env", "dev", "--user", "alice", "-o", "json")

    assert deployed.returncode == 0, deployed.stderr
    transaction_id = json.loads(deployed.stdout)["transaction_id"]
    journal = json.loads(fabctl(tmp_path, "tx", "show", transaction_id, "-o", "json").stdout)
    assert (journal["actor"], journal["actor_object_id"], journal["actor_verified"]) == ("alice", "", False)
    assert "by alice (unverified)" in fabctl(tmp_path, "tx", "show", transaction_id).stdout


@pytest.mark.parametrize(
    ("kind", "dropped", "named"),
    [
        (
            "client-secret",
            "AZURE_CLIENT_SECRET",
            "FABCTL_AUTH=client-secret needs AZURE_CLIENT_SECRET, which is not set",
        ),
        ("workload-identity", "AZURE_FEDERATED_TOKEN_FILE", "needs AZURE_FEDERATED_TOKEN_FILE"),
        ("azure-cli", "PATH", "`az` is not on PATH"),
        ("bogus", "", "Input should be 'default', 'environment', 'client-secret'"),
    ],
)
def test_a_kind_without_what_it_needs_is_one_line_and_exit_2(
    kind: str, dropped: str, named: str, tmp_path: Path, world: SignedInIdentity
) -> None:
    _source(tmp_path)
    env = environment(**world.environment("workload-identity" if kind == "workload-identity" else "client-secret"))
    env["FABCTL_AUTH"] = kind
    env.pop(dropped, None)
    if dropped == "PATH":
        env["PATH"] = str(tmp_path)  # an empty folder: no `az` on it (fabctl runs by sys.executable's full path)
    asked = len(world.authority.requests())

    refused = fabctl(tmp_path, "deploy", SOURCE, "--env", "dev", env=env)

    line = one_error_line(refused)
    assert named in line and "auth" in line, line
    assert len(world.authority.requests()) == asked
    assert not (tmp_path / ".fabctl" / "state.db").exists()  # refused before any state was opened


def test_on_the_local_default_a_promotions_typed_names_are_shown_unverified(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    assert run_json(tmp_path, "deploy", "sales", "--env", "dev")["succeeded"]
    request = run_json(tmp_path, "promote", "request", "sales", "--from", "dev", "--user", "alice")

    run_json(tmp_path, "promote", "approve", request["id"], "--user", "bob")

    shown = run_json(tmp_path, "promote", "show", request["id"])
    assert (shown["requested_by"], shown["requester_object_id"], shown["requester_verified"]) == ("alice", "", False)
    assert [(a["approver"], a["object_id"], a["verified"]) for a in shown["approvals"]] == [("bob", "", False)]
    assert {e["object_id"] for e in shown["audit"]} == {""}
    text = run(tmp_path, "promote", "show", request["id"]).stdout
    assert "requested by alice (unverified)" in text and "bob (unverified)" in text


def test_a_signed_in_requester_is_verified_and_cannot_approve_its_own_request(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    fabric = ("--fabric-url", guarded.url)
    deployed = _signed_in(tmp_path, world, "deploy", "sales", "--env", "dev", *fabric)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    made = _signed_in(tmp_path, world, "promote", "request", "sales", "--from", "dev", *fabric, "-o", "json")
    assert made.returncode == 0, made.stdout + made.stderr
    request = json.loads(made.stdout)

    refused = _signed_in(tmp_path, world, "promote", "approve", request["id"], *fabric)

    assert "separation of duties" in one_error_line(refused)
    shown = json.loads(_signed_in(tmp_path, world, "promote", "show", request["id"], "-o", "json").stdout)
    oid = principal_object_id(PRINCIPAL.client_id)
    assert (shown["requested_by"], shown["requester_object_id"], shown["requester_verified"]) == (
        PRINCIPAL.client_id, oid, True,
    )  # fmt: skip
    assert (shown["state"], shown["approvals"]) == ("requested", [])
    assert [(e["action"], e["actor"], e["object_id"]) for e in shown["audit"]] == [
        ("requested", PRINCIPAL.client_id, oid)
    ]
    # The verified actor's object id is in the chained entry: an outside verifier recomputes it (docs/audit.md).
    (exported,) = [json.loads(line) for line in _signed_in(tmp_path, world, "audit", "export").stdout.splitlines()]
    document = {
        "request": request["id"], "at": exported["at"], "actor": PRINCIPAL.client_id, "object_id": oid,
        "action": "requested", "state": exported["state"],
    }  # fmt: skip
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == exported["hash"]


def test_a_refused_sign_in_is_one_line_exit_2_without_the_secret(
    tmp_path: Path, world: SignedInIdentity, guarded: RunningEmulator
) -> None:
    _source(tmp_path)
    before = requests_log(guarded)["total"]

    refused = _signed_in(
        tmp_path, world, "deploy", SOURCE, "--env", "dev", "--fabric-url", guarded.url,
        AZURE_CLIENT_SECRET="wrong-secret-7e1d",
    )  # fmt: skip

    line = one_error_line(refused)
    assert "AADSTS7000215" in line, line
    assert "wrong-secret-7e1d" not in refused.stdout + refused.stderr
    assert requests_log(guarded)["total"] == before  # the actor is known before Fabric is called, or nothing is
