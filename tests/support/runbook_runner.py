"""Run a runbook's commands in order through the real CLI, in a scenario's working directory.

Placeholders are filled when the command that needs them runs (a request id exists only after the
runbook's own `promote request`), by the scenario's resolvers; one the scenario does not know fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_commands import PLACEHOLDER, Command, commands

COMMAND = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
Resolver = Callable[[], str]


@dataclass
class Scenario:
    cwd: Path
    env: dict[str, str]  # FABCTL_* and sign-in variables of the scenario (no other FABCTL_* leaks in)
    values: dict[str, Resolver] = field(default_factory=dict)
    user: str = "oncall@contoso.com"  # FABCTL_USER of a line without `# as`; "" when fabctl signs in

    def fabctl(self, *args: str, user: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
        env.update({"NO_COLOR": "1", **self.env, **extra})
        who = self.user if user is None else user
        if who:
            env["FABCTL_USER"] = who
        return subprocess.run([*COMMAND, *args], cwd=self.cwd, env=env, capture_output=True, text=True, timeout=180)

    def json(self, *args: str) -> Any:
        result = self.fabctl(*args, "-o", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    def newest_transaction(self) -> str:
        return str(self.json("tx", "list")[-1]["id"])

    def newest_request(self) -> str:
        return str(self.json("promote", "list")[-1]["id"])


@dataclass(frozen=True)
class Ran:
    command: Command
    args: list[str]  # with the placeholders filled
    result: subprocess.CompletedProcess[str]


def _fill(text: str, values: Mapping[str, Resolver], where: Command) -> str:
    def value(found: Any) -> str:
        name = found.group(1)
        assert name in values, f"line {where.line}: placeholder <{name}> is not filled by the scenario: {where.text}"
        return values[name]()

    return PLACEHOLDER.sub(value, text)


def run_runbook(path: Path, scenario: Scenario) -> list[Ran]:
    """Every command of the runbook at `path`, run in order; each exits as its line says, without a traceback."""
    ran: list[Ran] = []
    for command in commands(path):
        args = [_fill(a, scenario.values, command) for a in command.args]
        extra = {k: _fill(v, scenario.values, command) for k, v in command.env.items()}
        result = scenario.fabctl(*args, user=command.actor or None, **extra)
        shown = f"{path.name} line {command.line}: $ {command.text}\nexit {result.returncode}\n"
        shown += f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        assert result.returncode == command.exits, shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        if command.stdout_to:
            (scenario.cwd / command.stdout_to).write_text(result.stdout, encoding="utf-8")
        ran.append(Ran(command, args, result))
    return ran
