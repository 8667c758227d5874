"""FABCTL_TELEMETRY picks the telemetry: none (the default) costs no OpenTelemetry import at all; a value it
does not know is one clear error naming the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fabctl.adapters.telemetry.memory import InMemoryTelemetry
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.settings import Settings, load_settings

LOADED = "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('opentelemetry', 'azure.monitor'))}))"


def test_the_default_is_in_memory() -> None:
    app = bootstrap(Settings(state_store="memory", fabric="memory"))

    assert Settings().telemetry == "none"
    assert isinstance(app.telemetry, InMemoryTelemetry)


@pytest.mark.parametrize(
    "program",
    [
        "from fabctl.entrypoints.cli.main import cli\ntry:\n    cli.main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n    pass",
        "from fabctl.entrypoints.bootstrap import bootstrap\nfrom fabctl.entrypoints.settings import Settings\n"
        "bootstrap(Settings(state_store='memory', fabric='memory'))",
    ],
    ids=["help", "bootstrap"],
)
def test_without_telemetry_nothing_of_opentelemetry_is_imported(program: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "FABCTL_TELEMETRY": "none"}
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{program}\n{LOADED}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_unknown_exporter_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_TELEMETRY", "jaeger")

    with pytest.raises(InvalidConfiguration) as refused:
        load_settings(state_store="memory", fabric="memory")

    assert refused.value.field == "telemetry"
    assert "FABCTL_TELEMETRY" in str(refused.value) and "'otlp'" in str(refused.value)
