"""fabctl as a service: commands per second through one and two workers, events relayed per second, and the
latency from an approval message to `PromotionSucceeded` on the topic.

    python benchmarks/service_benchmark.py [--workspaces 4] [--commands 40] [--events 200] [--latency-runs 5]

Started once: the emulator (fast profile, no latency, no long-running-operation wait), Azurite and the AMQP
broker double (tests/support/servicebus_broker, in this process) with the sessionful queue `fabctl-commands`
and the topic `fabctl-events` (duplicate detection on, one subscription). State is Azure state on Azurite for
every figure (a fresh table and container each), so one worker and two compare: two need a shared store.

  (1) commands/s   each workspace (a session) is deployed to dev first (`fabctl deploy`, not timed); then
                   --commands RequestPromotion messages, round robin over the workspaces, are sent to the queue
                   while the worker(s) (`fabctl worker --concurrency 2 --sweep-every 0`) are already receiving.
                   Wall time: from the first message sent until the workers' logs name every message settled
                   (polled every 10 ms), so no idle wait is counted. Each worker relays its events to the
                   topic after each command, as in production (FABCTL_EVENT_BUS=servicebus).
  (2) events/s     --events pending events are made by deploys whose bus is a topic the broker does not have
                   (each command's own relay fails, the events stay pending); then `fabctl events relay`
                   with the real topic is timed around its subprocess (start-up of the Python process included,
                   and printed apart: `fabctl events relay` with nothing pending).
  (3) latency      one worker running; per run, a RequestPromotion is handled (not timed), then the
                   ApprovePromotion message is sent and the clock stops when a receiver on the subscription
                   gets `PromotionSucceeded` for that request (the approval deploys to test, then succeeds).

Every figure is against the broker double (a protocol double), Azurite and the emulator; not Service Bus.
Figures go to stdout, progress to stderr. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests" / "support"))

from azure.servicebus import ServiceBusClient  # noqa: E402
from azurite_process import RunningAzurite, running_azurite  # noqa: E402
from deploy_process import environment, fabctl, write_source  # noqa: E402
from emulator_process import configure, running_emulator  # noqa: E402
from servicebus_broker.entities import EntityOptions  # noqa: E402
from servicebus_broker.process import RunningBroker, TopicSpec, running_broker  # noqa: E402
from shared_azure_state import SharedAzureState  # noqa: E402
from worker_process import QUEUE, READY, WorkerProcess, command, message, send  # noqa: E402

TOPIC, SUBSCRIPTION = "fabctl-events", "all"
LABEL = "against the broker double (a protocol double), Azurite and the emulator; not Service Bus"
CI, ALICE, BOB = "ci@contoso.com", "alice@contoso.com", "bob@contoso.com"
DEADLINE_S = 300.0  # reached only when something hangs


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def source(root: Path, name: str) -> str:
    folder = root / name
    write_source(folder, f"{name} (dev)", [(f"Job {n}", "Jobs", "", "v1") for n in range(2)])
    config = f'environments:\n  dev:\n    workspace: "{name} (dev)"\n  test:\n    workspace: "{name} (test)"\n'
    (folder / "workspace-config.yaml").write_text(config)
    return str(folder)


def run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = fabctl(root, *args, env=env)
    if done.returncode != 0:
        raise SystemExit(f"fabctl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def prepared(root: Path, env: dict[str, str], names: list[str]) -> dict[str, str]:
    """Each workspace's source, deployed to dev (what a promotion request needs)."""
    sources = {name: source(root / "src", name) for name in names}
    for folder in sources.values():
        run(root, env, "deploy", folder, "--env", "dev")
    return sources


def settled(workers: list[WorkerProcess]) -> int:
    return sum(w.stderr().count(": complete") for w in workers)


def started(root: Path, env: dict[str, str], count: int, *extra: str) -> list[WorkerProcess]:
    workers = []
    for i in range(count):
        (root / f"w{i}").mkdir(exist_ok=True)
        worker = WorkerProcess(root / f"w{i}", env, "--concurrency", "2", "--sweep-every", "0", *extra)
        worker.wait_until(lambda log: READY in log, "receiving")
        workers.append(worker)
    return workers


def stopped(workers: list[WorkerProcess]) -> None:
    for w in workers:
        w.kill()


def wait_settled(workers: list[WorkerProcess], count: int) -> float:
    end = time.monotonic() + DEADLINE_S
    while settled(workers) < count:
        if time.monotonic() > end:
            raise SystemExit("the workers did not settle every message:\n" + "\n".join(w.stderr() for w in workers))
        time.sleep(0.01)
    return time.monotonic()


def commands_per_second(root: Path, base: dict[str, str], broker: RunningBroker, workers: int, args) -> float:
    names = [f"W{n}" for n in range(args.workspaces)]
    sources = prepared(root, base, names)
    running = started(root, base, workers)
    try:
        batch = [request(sources, names[n % len(names)], n) for n in range(args.commands)]
        began = time.monotonic()
        send(broker.connection_string(), *batch)
        ended = wait_settled(running, args.commands)
    finally:
        stopped(running)
    return args.commands / (ended - began)


def request(sources: dict[str, str], name: str, n: int):
    body = command("RequestPromotion", source_dir=sources[name], source_environment="dev", note=f"bench {n}")
    return message(body, f"request-{n}", ALICE, session=name)


def relay_figures(root: Path, base: dict[str, str], args) -> tuple[int, float, float]:
    away = base | {"FABCTL_EVENTS_TOPIC": "no-such-topic"}
    sources = prepared(root, away, [f"R{n}" for n in range(max(1, args.workspaces))])

    def pending() -> list[dict]:
        listed = json.loads(run(root, base, "events", "list", "--limit", "100000", "-o", "json").stdout)
        return [e for e in listed if not e["published_at"]]

    folders = list(sources.values())
    n = 0
    while len(pending()) < args.events:  # each redeploy of a changed source adds its events
        folder = Path(folders[n % len(folders)])
        (folder / "Jobs" / "Job 0.Notebook" / "notebook-content.py").write_text(f"# change {n}\n", encoding="utf-8")
        run(root, away, "deploy", str(folder), "--env", "dev")
        n += 1
    count = len(pending())
    began = time.monotonic()
    run(root, base, "events", "relay", "-o", "json")
    took = time.monotonic() - began
    began = time.monotonic()
    run(root, base, "events", "relay", "-o", "json")  # nothing pending: the process's own start-up and a read
    empty = time.monotonic() - began
    if pending():
        raise SystemExit("events still pending after the relay")
    return count, took, empty


def latencies(root: Path, base: dict[str, str], broker: RunningBroker, args) -> list[float]:
    sources = prepared(root, base, ["L"])
    running = started(root, base, 1)
    found = []
    try:
        with ServiceBusClient.from_connection_string(broker.connection_string(), retry_total=0) as client:
            receiver = client.get_subscription_receiver(TOPIC, SUBSCRIPTION, max_wait_time=1)
            with receiver:
                for n in range(args.latency_runs):
                    request = command("RequestPromotion", source_dir=sources["L"], source_environment="dev",
                                      note=f"latency {n}")  # fmt: skip
                    send(broker.connection_string(), message(request, f"lat-request-{n}", ALICE, session="L"))
                    wait_settled(running, 2 * n + 1)
                    listed = json.loads(run(root, base, "promote", "list", "-o", "json").stdout)
                    request_id = next(p["id"] for p in listed if p["note"] == f"latency {n}")
                    approve = message(command("ApprovePromotion", request_id=request_id), f"lat-approve-{n}", BOB,
                                      session="L")  # fmt: skip
                    began = time.monotonic()
                    send(broker.connection_string(), approve)
                    found.append(succeeded(receiver, request_id) - began)
                    wait_settled(running, 2 * n + 2)
    finally:
        stopped(running)
    return found


def succeeded(receiver, request_id: str) -> float:
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        for raw in receiver.receive_messages(max_message_count=50, max_wait_time=1):
            at = time.monotonic()
            receiver.complete_message(raw)
            body = json.loads(b"".join(raw.body))
            if body["type"].startswith("fabctl.PromotionSucceeded.") and body["data"].get("request_id") == request_id:
                return at
    raise SystemExit(f"PromotionSucceeded for {request_id} never arrived")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=4, help="sessions the commands are spread over")
    parser.add_argument("--commands", type=int, default=40, help="RequestPromotion messages per worker figure")
    parser.add_argument("--events", type=int, default=200, help="at least this many pending events to relay")
    parser.add_argument("--latency-runs", type=int, default=5)
    args = parser.parse_args()
    if min(args.workspaces, args.commands, args.events, args.latency_runs) < 1:
        parser.error("--workspaces, --commands, --events and --latency-runs must be at least 1")
    topics = {TOPIC: TopicSpec({SUBSCRIPTION: EntityOptions()}, EntityOptions(duplicate_detection_window_s=600))}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        say("starting the emulator, Azurite and the broker double")
        emulator = stack.enter_context(running_emulator(tmp_path=root))
        configure(emulator, latency_ms=0, lro_ms=0)
        azurite: RunningAzurite = stack.enter_context(running_azurite(root))
        queues = {QUEUE: EntityOptions(requires_session=True)}
        broker = stack.enter_context(running_broker(queues=queues, topics=topics))

        def fresh(name: str) -> tuple[Path, dict[str, str]]:
            (root / name).mkdir()
            env = environment(FABCTL_FABRIC_URL=emulator.url, **SharedAzureState.fresh(azurite).settings())
            env |= {"FABCTL_EVENT_BUS": "servicebus", "FABCTL_SERVICEBUS_CONNECTION_STRING": broker.connection_string()}
            return root / name, env

        rates = {}
        for workers in (1, 2):
            say(f"(1) {args.commands} commands over {args.workspaces} workspaces through {workers} worker(s)")
            rates[workers] = commands_per_second(*fresh(f"c{workers}"), broker, workers, args)
        say(f"(2) relaying at least {args.events} pending events")
        count, took, empty = relay_figures(*fresh("relay"), args)
        say(f"(3) {args.latency_runs} approvals to PromotionSucceeded")
        lat = latencies(*fresh("latency"), broker, args)
    print(f"# fabctl service benchmark, {LABEL}")
    print(f"# nproc {os.cpu_count()}, python {platform.python_version()}, {platform.platform()}")
    for workers, rate in rates.items():
        print(f"commands/s, {workers} worker(s) x 2 slots, {args.commands} RequestPromotion over "
              f"{args.workspaces} sessions: {rate:.1f}")  # fmt: skip
    print(f"events relayed/s, `fabctl events relay` of {count} pending: {count / took:.0f} "
          f"({took:.2f} s; the same command with nothing pending: {empty:.2f} s)")  # fmt: skip
    median, slowest = statistics.median(lat) * 1000, max(lat) * 1000
    print(f"approval -> PromotionSucceeded on the topic, {len(lat)} runs: median {median:.0f} ms, max {slowest:.0f} ms")


if __name__ == "__main__":
    main()
