"""`$secret:NAME` without a Key Vault, through the real CLI on the embedded local Fabric: the value comes
from `.env` in the working directory (or the environment), also when `--workspace` retargets the
environment; a secret in neither is one error naming both places."""

from __future__ import annotations

import json
from pathlib import Path

from cli import run, run_json
from sources import SOURCE, new_source, notebook, one_error_line, write_file, write_item

from fabctl.adapters.fabric.tenant import FabricTenant

VALUE = "env-file-canary-3c9d"


def source(cwd: Path) -> None:
    root = new_source(cwd)
    write_file(
        root / "parameter.yml", "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$secret:API_KEY'}}\n"
    )
    write_item(root, "Notebook", "Load", notebook("key = 'TOKEN'"))


def test_a_secret_from_the_env_file_is_deployed_also_into_a_retargeted_workspace(tmp_path: Path) -> None:
    source(tmp_path)
    write_file(tmp_path / ".env", f"API_KEY={VALUE}\n")

    result = run_json(tmp_path, "deploy", SOURCE, "--env", "dev", "--workspace", "Elsewhere")

    assert result["state"] == "committed", result
    assert VALUE not in json.dumps(result)
    with FabricTenant.at(tmp_path / ".fabctl" / "local-fabric.db") as tenant:
        held = json.dumps(tenant.snapshot(ids=False))
    assert "Elsewhere" in held and VALUE in held  # the local Fabric holds the deployed value


def test_a_secret_in_neither_the_environment_nor_the_env_file_names_both(tmp_path: Path) -> None:
    source(tmp_path)

    line = one_error_line(run(tmp_path, "plan", SOURCE, "--env", "dev"))

    assert line == (
        f"error: {SOURCE}/parameter.yml: find_replace[0], field 'replace_value': secret API_KEY: "
        "not in the environment (as API_KEY) or .env at .env (no such file)"
    )
