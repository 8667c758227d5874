"""`fabctl worker` as a real process against the broker double: started, fed, stopped, read back.

The worker is given the broker's connection string and a state folder of its own (SQLite state and
the local Fabric, the defaults); nothing of the developer's FABCTL_* settings leaks in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage

COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
QUEUE = "fabctl-commands"
ACTOR_PROPERTY = "fabctl-actor"
DEADLINE_S = 120.0  # reached only when the worker is wrong (hangs); never what decides a passing test
READY = "receiving from queue"


def environment(state_dir: Path, connection_string: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env |= {"NO_COLOR": "1", "FABCTL_STATE_DIR": str(state_dir)}
    env["FABCTL_SERVICEBUS_CONNECTION_STRING"] = connection_string
    return env | {f"FABCTL_{k.upper()}": v for k, v in settings.items()}


def command(name: str, **data: object) -> bytes:
    return json.dumps({"command": name, "version": 1, "data": data}).encode()


def message(body: bytes, message_id: str, actor: str | None, session: str = "sales") -> ServiceBusMessage:
    properties = {} if actor is None else {ACTOR_PROPERTY: actor}
    return ServiceBusMessage(body, message_id=message_id, session_id=session, application_properties=properties)


def send(connection_string: str, *messages: ServiceBusMessage, queue: str = QUEUE) -> None:
    client = ServiceBusClient.from_connection_string(connection_string, retry_total=0)
    with client, client.get_queue_sender(queue) as sender:
        for each in messages:
            sender.send_messages(each)


@dataclass
class Finished:
    code: int
    summary: dict[str, Any]
    stderr: str


def run_worker(cwd: Path, env: dict[str, str], *args: str) -> Finished:
    """`fabctl worker ARGS... -o json` to its end (the args must end it: --max-messages, --idle-exit)."""
    done = subprocess.run([*COMMAND, "worker", *args, "-o", "json"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=DEADLINE_S)  # fmt: skip
    return Finished(done.returncode, _summary(done.stdout, done.stderr), done.stderr)


class WorkerProcess:
    """A worker running in the background, for tests that signal it."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        self._log = cwd / f"worker-{time.monotonic_ns()}.log"
        self._out = self._log.with_suffix(".out")
        with self._log.open("w") as err, self._out.open("w") as out:
            self.process = subprocess.Popen([*COMMAND, "worker", *args, "-o", "json"], cwd=cwd, env=env,
                                            stdout=out, stderr=err)  # fmt: skip

    def stderr(self) -> str:
        return self._log.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition: Callable[[str], bool], what: str) -> None:
        """Poll the worker's log until `condition` holds; fail after the deadline, or if it ended."""
        end = time.monotonic() + DEADLINE_S
        while not condition(self.stderr()):
            if self.process.poll() is not None:
                raise AssertionError(f"the worker ended ({self.process.returncode}) before {what}:\n{self.stderr()}")
            if time.monotonic() > end:
                raise AssertionError(f"the worker never got to {what}:\n{self.stderr()}")
            time.sleep(0.05)

    def signal(self, number: signal.Signals) -> None:
        self.process.send_signal(number)

    def finish(self) -> Finished:
        code = self.process.wait(timeout=DEADLINE_S)
        return Finished(code, _summary(self._out.read_text(encoding="utf-8"), self.stderr()), self.stderr())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE_S)


def _summary(stdout: str, stderr: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(stdout)
    except json.JSONDecodeError:
        return {"unparsed": stdout, "stderr": stderr}
    return found


def promotion_requested(root: Path, env: dict[str, str], name: str, jobs: int) -> str:
    """`name (dev)` deployed from `root/src` (`jobs` Data Pipelines), and a promotion of it to `name (test)`
    requested by alice: its request id. `env` points fabctl at the emulator."""
    from deploy_process import fabctl, write_source

    write_source(root / "src", f"{name} (dev)", [(f"Job {n}", "Jobs", "", "v1") for n in range(jobs)])
    config = f'environments:\n  dev:\n    workspace: "{name} (dev)"\n  test:\n    workspace: "{name} (test)"\n'
    (root / "src" / "workspace-config.yaml").write_text(config)
    deployed = fabctl(root, "deploy", "src", "--env", "dev", env=env)
    assert deployed.returncode == 0, deployed.stderr
    requested = fabctl(root, "promote", "request", "src", "--from", "dev", "--user", "alice", "-o", "json", env=env)
    assert requested.returncode == 0, requested.stderr
    request_id: str = json.loads(requested.stdout)["id"]
    return request_id
