"""Connections declared per environment in workspace-config.yaml, through the real CLI against the emulator:
created before the items (which refer to them by `$connections.<name>.$id`), left alone when their settings
match (their credentials sent again: Fabric never returns them), rotated, refused when a secret is missing,
and deleted when the deployment that created them rolls back."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure
from secret_search import files_holding
from sources import (
    DEV_WORKSPACE,
    SOURCE,
    api,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    one_error_line,
    part,
    plan,
    since,
    write_file,
    write_item,
)

CREATE = "POST /v1/connections"
UPDATE = "PATCH /v1/connections/{connectionId}"


def config(privacy: str = "Organizational", path: str = "contoso-dev.database.windows.net;sales") -> str:
    return (
        f'environments:\n  dev:\n    workspace: "{DEV_WORKSPACE}"\n    connections:\n'
        f'      sales-sql: {{type: SQL, path: "{path}", credentials: {{kind: Basic, username: svc_sales, '
        f'password: "$secret:SALES_SQL_PASSWORD"}}, privacy_level: {privacy}}}\n'
    )


def source(cwd: Path, password: str | None, **settings: str) -> Path:
    root = new_source(cwd, config(**settings))
    write_file(
        root / "parameter.yml",
        "find_replace:\n  - {find_value: CONNECTION, replace_value: {dev: '$connections.sales-sql.$id'}}\n",
    )
    write_item(root, "Notebook", "Load", notebook("connection = 'CONNECTION'"))
    if password is not None:
        write_file(cwd / ".env", f"SALES_SQL_PASSWORD={password}\n")
    return root


def held(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """The tenant's connections as the emulator's admin surface shows them (a digest of credentials, no value)."""
    with urllib.request.urlopen(f"{emulator.admin}/connections", timeout=30) as response:
        found: list[dict[str, Any]] = json.loads(response.read())["value"]
    return found


def digest(password: str) -> str:
    credentials = {"credentialType": "Basic", "username": "svc_sales", "password": password}
    return hashlib.sha256(json.dumps(credentials, sort_keys=True).encode("utf-8")).hexdigest()


def test_a_declared_connection_is_created_then_left_alone_then_rotated(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    source(tmp_path, "first-password-7f3a")

    planned = plan(tmp_path, emulator)
    assert planned["connections"] == [
        {"name": "sales-sql", "kind": "create", "reason": "not in Fabric", "connection_id": ""}
    ]
    first = deploy(tmp_path, emulator)
    assert first["state"] == "committed", first
    [connection] = held(emulator)
    assert (connection["displayName"], connection["connectionDetails"], connection["privacyLevel"]) == (
        "sales-sql",
        {"type": "SQL", "path": "contoso-dev.database.windows.net;sales"},
        "Organizational",
    )
    assert connection["credentialDetails"]["credentialType"] == "Basic"
    assert connection["credentialsDigest"] == digest("first-password-7f3a")
    # The notebook refers to it by name; Fabric's own list never shows a credential.
    assert part(items(emulator)["Load.Notebook"], "notebook-content.py").endswith(
        f"connection = '{connection['id']}'\n"
    )
    assert "first-password-7f3a" not in json.dumps(api(emulator, "GET", "connections"))

    again = plan(tmp_path, emulator)
    assert again["connections"] == [
        {
            "name": "sales-sql",
            "kind": "no-op",
            "reason": "settings match; credentials sent again (Fabric never returns them)",
            "connection_id": connection["id"],
        }
    ]
    assert again["summary"]["no-op"] == 1

    source(tmp_path, "rotated-password-9c1e")
    before = calls(emulator)
    rotated = deploy(tmp_path, emulator)
    assert rotated["state"] == "committed", rotated
    assert since(emulator, before).get(CREATE, 0) == 0 and since(emulator, before)[UPDATE] == 1
    [still] = held(emulator)
    assert (still["id"], still["credentialsDigest"]) == (connection["id"], digest("rotated-password-9c1e"))


def test_a_changed_privacy_level_is_an_update_naming_what_differs(tmp_path: Path, emulator: RunningEmulator) -> None:
    source(tmp_path, "pw-1")
    deploy(tmp_path, emulator)
    source(tmp_path, None, privacy="Private")

    planned = plan(tmp_path, emulator)
    assert [(c["kind"], c["reason"]) for c in planned["connections"]] == [
        ("update", "differs: privacy_level; credentials sent again (Fabric never returns them)")
    ]
    deploy(tmp_path, emulator)
    assert [c["privacyLevel"] for c in held(emulator)] == ["Private"]


def test_a_missing_secret_is_exit_2_naming_the_secret_the_source_and_the_field(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    source(tmp_path, None)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert line == (
        f"error: {SOURCE}/workspace-config.yaml, field 'environments.dev.connections.sales-sql.credentials.password': "
        "secret SALES_SQL_PASSWORD: not in the environment (as SALES_SQL_PASSWORD) or .env at .env (no such file)"
    )
    assert held(emulator) == []


def test_a_path_fabric_cannot_change_is_refused_before_any_write(tmp_path: Path, emulator: RunningEmulator) -> None:
    source(tmp_path, "pw-1")
    deploy(tmp_path, emulator)
    source(tmp_path, None, path="contoso-dev.database.windows.net;other")
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert "field 'environments.dev.connections.sales-sql.path'" in line
    assert "exists with path 'contoso-dev.database.windows.net;sales', which Fabric cannot change" in line
    assert since(emulator, before).get(UPDATE, 0) == 0


def test_a_connection_created_by_a_deployment_that_rolls_back_is_deleted(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = source(tmp_path, "pw-rollback-2b8d")
    spark = {"Setting/Sparkcompute.yml": "enable_native_execution_engine: false\ndriver_cores: 4\n"}
    write_item(root, "Environment", "Spark", spark)
    configure(emulator, failing_publishes=["Spark"])

    result = deploy(tmp_path, emulator, "--on-error", "rollback", expect_code=3)

    assert result["state"] == "rolled_back", result
    assert held(emulator) == []
    assert "pw-rollback-2b8d" not in json.dumps(result)
    assert files_holding(tmp_path / ".fabctl", "pw-rollback-2b8d") == []  # journal, records, events, log
    outcome = next(o for o in result["outcomes"] if o["item"] == "sales-sql.Connection")
    assert (outcome["action"], outcome["status"]) == ("create", "undone")
