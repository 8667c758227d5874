"""`fabctl worker` as a real process, with the real SDK, against the broker double (a protocol double:
what passes here is verified against it only), SQLite state and the local Fabric in a temporary folder.

Every run ends itself (--max-messages, --idle-exit), or is signalled; what it did is read back from
the broker (what it holds, its dead-letter queue) and the state store.
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest
from servicebus_broker.entities import EntityOptions
from servicebus_broker.fixtures import servicebus_broker_factory  # noqa: F401 (a fixture)
from servicebus_broker.process import RunningBroker
from worker_process import QUEUE, READY, WorkerProcess, command, environment, message, run_worker, send

from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import SystemClock
from fabctl.adapters.system.ids import UuidIdGenerator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"
CI = "ci@contoso.com"


@pytest.fixture
def broker(servicebus_broker_factory) -> RunningBroker:  # noqa: F811
    return servicebus_broker_factory(queues={QUEUE: EntityOptions(requires_session=True, max_delivery_count=2)})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "sales")
    return tmp_path


def env(folder: Path, broker: RunningBroker, **settings: str) -> dict[str, str]:
    return environment(folder / "state", broker.connection_string(), **settings)


def transactions(folder: Path) -> list[tuple[str, str]]:
    store = SqliteUnitOfWork(folder / "state" / "state.db", SystemClock(), UuidIdGenerator())
    with store:
        return [(t.environment, t.state.value) for t in store.transactions.list()]


def deploy(folder: Path, environment_name: str = "dev") -> bytes:
    return command("ExecuteDeployment", source_dir=str(folder / "sales"), environment=environment_name)


def test_every_malformed_message_is_dead_lettered_at_once_with_its_reason(folder: Path, broker: RunningBroker) -> None:
    malformed = {
        "not-json": (b"{not json", CI),
        "unknown": (command("DropEverything"), CI),
        "invalid": (command("ApprovePromotion", comment="no request id"), CI),
        "extra-field": (command("CancelPromotion", request_id="p-1", force=True), CI),
        "no-actor": (command("CancelPromotion", request_id="p-1"), None),
        "actor-in-body": (command("CancelPromotion", request_id="p-1", cancelled_by="mallory"), CI),
        "wrong-version": (json.dumps({"command": "CancelPromotion", "version": 2, "data": {}}).encode(), CI),
    }
    send(broker.connection_string(), *(message(body, mid, actor) for mid, (body, actor) in malformed.items()))

    finished = run_worker(folder, env(folder, broker), "--max-messages", str(len(malformed)), "--idle-exit", "60")

    assert finished.code == 0, finished.stderr
    # Seven messages, seven settlements, all dead-letters: none was tried a second time.
    assert finished.summary == {"stopped": "max-messages", "handled": 7, "settled": {"dead-letter": 7}}
    reasons = {m.message_id: m.application_properties["DeadLetterReason"] for m in broker.dead_letters(QUEUE)}
    assert reasons == {
        "not-json": "InvalidJson", "unknown": "UnknownCommand", "invalid": "InvalidCommand",
        "extra-field": "InvalidCommand", "no-actor": "MissingActor", "actor-in-body": "ActorInBody",
        "wrong-version": "InvalidCommand",
    }  # fmt: skip
    held = {m.message_id: m for m in broker.dead_letters(QUEUE)}
    assert "field 'data.request_id'" in held["invalid"].application_properties["DeadLetterErrorDescription"]
    assert broker.messages(QUEUE) == []
    assert transactions(folder) == []


def test_a_command_is_handled_once_and_completed_even_when_sent_twice(folder: Path, broker: RunningBroker) -> None:
    send(broker.connection_string(), message(deploy(folder), "deploy-1", CI), message(deploy(folder), "deploy-1", CI))

    finished = run_worker(folder, env(folder, broker), "--max-messages", "2", "--idle-exit", "60")

    assert finished.code == 0, finished.stderr
    assert finished.summary["settled"] == {"complete": 2}
    assert transactions(folder) == [("dev", "committed")]
    assert broker.messages(QUEUE) == [] and broker.dead_letters(QUEUE) == []


def test_a_transient_failure_is_abandoned_redelivered_and_dead_lettered_at_the_max_delivery_count(
    folder: Path, broker: RunningBroker
) -> None:
    send(broker.connection_string(), message(deploy(folder), "deploy-1", CI))
    # Fabric is a port nothing listens on: every attempt fails to connect, which may pass.
    unreachable = env(folder, broker, fabric="http", fabric_url="http://127.0.0.1:9/v1")

    finished = run_worker(folder, unreachable, "--max-messages", "2", "--idle-exit", "60")

    assert finished.code == 0, finished.stderr
    assert finished.summary["settled"] == {"abandon": 2}
    [held] = broker.dead_letters(QUEUE)
    assert held.message_id == "deploy-1"
    assert held.application_properties["DeadLetterReason"] == "MaxDeliveryCountExceeded"
    assert transactions(folder) == []


def test_sigterm_while_idle_exits_zero(folder: Path, broker: RunningBroker) -> None:
    worker = WorkerProcess(folder, env(folder, broker))
    try:
        worker.wait_until(lambda log: READY in log, "receiving")
        worker.signal(signal.SIGTERM)
        finished = worker.finish()
    finally:
        worker.kill()

    assert finished.code == 0, finished.stderr
    assert finished.summary == {"stopped": "SIGTERM", "handled": 0, "settled": {}}
    assert "Traceback" not in finished.stderr


def test_the_worker_without_service_bus_settings_exits_2_naming_the_setting(folder: Path) -> None:
    no_bus = environment(folder / "state", "")
    del no_bus["FABCTL_SERVICEBUS_CONNECTION_STRING"]

    finished = run_worker(folder, no_bus, "--max-messages", "1")

    assert finished.code == 2
    assert "servicebus_namespace" in finished.stderr and "Traceback" not in finished.stderr


@pytest.mark.parametrize(
    ("setting", "named"),
    [("key", "servicebus_connection_string"), ("queue", "commands_queue")],
    ids=["a wrong key", "no such queue"],
)
def test_a_broker_refusing_the_settings_ends_the_worker_with_exit_2_naming_the_setting(
    folder: Path, broker: RunningBroker, setting: str, named: str
) -> None:
    wrong = env(folder, broker, **({"commands_queue": "no-such-queue"} if setting == "queue" else {}))
    if setting == "key":
        wrong["FABCTL_SERVICEBUS_CONNECTION_STRING"] = broker.connection_string(key="bm90LXRoZS1rZXk=")

    finished = run_worker(folder, wrong, "--idle-exit", "60")

    assert finished.code == 2, finished.stderr
    assert f"field '{named}'" in finished.stderr and "Traceback" not in finished.stderr
    assert "bm90LXRoZS1rZXk=" not in finished.stderr  # the key is never shown
