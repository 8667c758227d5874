"""The Function app over a temporary state folder: SQLite state and the local Fabric kept in it.

Each test gets the example workspace copied into its folder (with `test` needing two approvals) and a
fresh application: the functions bootstrap it from the FABCTL_* settings on first use, as in Azure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from function_calls import command, function, service_bus_message

from fabctl.entrypoints.bootstrap import App
from fabctl.entrypoints.functions import application

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales-workspace"


@dataclass
class Site:
    folder: Path
    source: str  # the example's copy, as an absolute path (what a command message names)

    @property
    def app(self) -> App:
        return application.current()

    def deploy(self, environment: str, message_id: str) -> None:
        """Deploy the source through the command queue, as a pipeline would."""
        message = service_bus_message(
            command("ExecuteDeployment", source_dir=self.source, environment=environment), message_id, "ci@contoso.com"
        )
        function("command_message")(message)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    for name in [n for n in os.environ if n.startswith("FABCTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FABCTL_STATE_DIR", str(tmp_path / "state"))
    source = tmp_path / "sales"
    shutil.copytree(EXAMPLE, source)
    config = source / "workspace-config.yaml"
    text = config.read_text(encoding="utf-8")
    test_rules = '  test:\n    workspace: "Sales (test)"\n    promotion:\n      approvals: 1\n'
    assert test_rules in text  # the example's layout, which this fixture edits
    config.write_text(text.replace(test_rules, test_rules.replace("approvals: 1", "approvals: 2")), encoding="utf-8")
    application.forget()
    yield Site(tmp_path, str(source))
    application.forget()
