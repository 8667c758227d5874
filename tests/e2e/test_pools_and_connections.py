"""parameter.yml's `spark_pool` and `semantic_model_binding` through the real CLI against the emulator.

The target workspace exists with a custom pool and the tenant has a connection (seeded through the
emulator's admin surface, as a Fabric admin would create them). A deployment gives the Environment
the target pool's id and binds the model; an unknown pool or connection is refused before any write.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cli import run
from emulator_process import RunningEmulator, requests_log, reset, running_emulator, snapshot

WORKSPACE = "Pools (prod)"
DEV_POOL = "280900f9-9171-4eb5-a6f9-5865e1fb86c5"  # the pool id in git (the dev workspace's pool)
CONNECTION_ID = "6d0c4e1a-7b2f-4c3d-9e8a-1f2b3c4d5e6f"
UNKNOWN_CONNECTION = "6d0c4e1a-7b2f-4c3d-9e8a-000000000000"
USER_ERROR = 2
COMPUTE = f"enable_native_execution_engine: true\ninstance_pool_id: {DEV_POOL}\ndriver_cores: 4\n"


def platform(item_type: str, name: str, logical_id: str) -> str:
    return json.dumps(
        {
            "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
            "metadata": {"type": item_type, "displayName": name},
            "config": {"version": "2.0", "logicalId": logical_id},
        },
        indent=2,
    )


def parameters(pool_name: str, connection_id: str) -> str:
    return f"""
spark_pool:
  - instance_pool_id: "{DEV_POOL}"
    replace_value:
      prod:
        type: Workspace
        name: "{pool_name}"
    item_name: Spark
semantic_model_binding:
  default:
    connection_id:
      _ALL_: "{connection_id}"
"""


def write_source(root: Path, pool_name: str = "Prod pool", connection_id: str = CONNECTION_ID) -> Path:
    files = {
        "workspace-config.yaml": f'environments:\n  prod:\n    workspace: "{WORKSPACE}"\n',
        "parameter.yml": parameters(pool_name, connection_id),
        "Spark.Environment/.platform": platform("Environment", "Spark", "1b7f2c3d-0000-4000-8000-0000000000e1"),
        "Spark.Environment/Setting/Sparkcompute.yml": COMPUTE,
        "Sales.SemanticModel/.platform": platform("SemanticModel", "Sales", "1b7f2c3d-0000-4000-8000-0000000000a1"),
        "Sales.SemanticModel/definition.pbism": '{"version": "4.2"}\n',
        "Sales.SemanticModel/definition/model.tmdl": "model Model\n",
    }
    source = root / "source"
    for relative, text in files.items():
        path = source / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return source


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    with running_emulator("--lro-ms", "0", tmp_path=tmp_path_factory.mktemp("emulator")) as running:
        yield running


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(url, json=body, timeout=30)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def target(emulator: RunningEmulator) -> dict[str, str]:
    """A fresh tenant: the target workspace with its custom pool, and one SQL connection."""
    reset(emulator)
    workspace = _post(f"{emulator.url}/workspaces", {"displayName": WORKSPACE})
    pool = _post(f"{emulator.admin}/spark-pools", {"workspaceId": workspace["id"], "name": "Prod pool"})
    details = {"type": "SQL", "path": "sales-prod.database.windows.net;sales"}
    _post(
        f"{emulator.admin}/connections", {"id": CONNECTION_ID, "displayName": "Sales SQL", "connectionDetails": details}
    )
    return {"workspace": workspace["id"], "pool": pool["id"]}


def writes(emulator: RunningEmulator) -> int:
    return sum(n for route, n in requests_log(emulator)["byRoute"].items() if not route.startswith("GET "))


def deploy(cwd: Path, source: Path, emulator: RunningEmulator) -> subprocess.CompletedProcess[str]:
    return run(cwd, "deploy", source, "--env", "prod", "--fabric-url", emulator.url)


def deployed_items(emulator: RunningEmulator) -> dict[str, dict[str, Any]]:
    [workspace] = [w for w in snapshot(emulator)["workspaces"] if w["displayName"] == WORKSPACE]
    return {f"{i['displayName']}.{i['type']}": i for i in workspace["items"]}


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    output = f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == USER_ERROR, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} is not in {lines[0]!r}"


def test_deploying_uses_the_target_pool_and_binds_the_model(
    tmp_path: Path, emulator: RunningEmulator, target: dict[str, str]
) -> None:
    source = write_source(tmp_path)

    result = deploy(tmp_path, source, emulator)

    assert result.returncode == 0, result.stderr
    items = deployed_items(emulator)
    parts = {p["path"]: p.get("text") for p in items["Spark.Environment"]["definition"]["parts"]}
    compute = yaml.safe_load(parts["Setting/Sparkcompute.yml"] or "")
    assert compute == {"enable_native_execution_engine": True, "instance_pool_id": target["pool"], "driver_cores": 4}
    model_id = items["Sales.SemanticModel"]["id"]
    bound = httpx.get(f"{emulator.url}/workspaces/{target['workspace']}/items/{model_id}/connections", timeout=30)
    assert [c["id"] for c in bound.json()["value"]] == [CONNECTION_ID]


def test_an_unknown_pool_is_refused_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, target: dict[str, str]
) -> None:
    source = write_source(tmp_path, pool_name="Missing pool")
    before = writes(emulator)

    result = deploy(tmp_path, source, emulator)

    assert_refused(result, "parameter.yml", "spark_pool[0]", "field 'replace_value.prod.name'", "'Missing pool'")
    assert writes(emulator) == before
    assert deployed_items(emulator) == {}


def test_an_unknown_connection_is_refused_before_any_write(
    tmp_path: Path, emulator: RunningEmulator, target: dict[str, str]
) -> None:
    source = write_source(tmp_path, connection_id=UNKNOWN_CONNECTION)
    before = writes(emulator)

    result = deploy(tmp_path, source, emulator)

    assert_refused(
        result, "parameter.yml", "semantic_model_binding.default", "field 'connection_id'", UNKNOWN_CONNECTION
    )
    assert writes(emulator) == before
    assert deployed_items(emulator) == {}


def test_a_changed_binding_rule_rebinds_an_unchanged_model_and_then_nothing_is_written(
    tmp_path: Path, emulator: RunningEmulator, target: dict[str, str]
) -> None:
    other = "6d0c4e1a-7b2f-4c3d-9e8a-2f2b3c4d5e6f"
    details = {"type": "SQL", "path": "sales-prod.database.windows.net;sales"}
    _post(f"{emulator.admin}/connections", {"id": other, "displayName": "Sales SQL 2", "connectionDetails": details})
    assert deploy(tmp_path, write_source(tmp_path), emulator).returncode == 0
    source = write_source(tmp_path, connection_id=other)  # the model's content is unchanged

    planned = run(tmp_path, "plan", source, "--env", "prod", "--fabric-url", emulator.url, "--output", "json")
    result = deploy(tmp_path, source, emulator)
    before_redeploy = writes(emulator)
    again = run(tmp_path, "deploy", source, "--env", "prod", "--fabric-url", emulator.url, "--output", "json")

    changes = {c["key"]: c for c in json.loads(planned.stdout)["changes"]}
    assert changes["Sales.SemanticModel"]["kind"] == "update", changes
    assert other in changes["Sales.SemanticModel"]["reason"], changes
    assert result.returncode == 0, result.stderr
    model_id = deployed_items(emulator)["Sales.SemanticModel"]["id"]
    bound = httpx.get(f"{emulator.url}/workspaces/{target['workspace']}/items/{model_id}/connections", timeout=30)
    assert [c["id"] for c in bound.json()["value"]] == [other]
    assert again.returncode == 0, again.stderr
    assert {c["kind"] for c in json.loads(again.stdout)["plan"]["changes"]} == {"no-op"}
    assert writes(emulator) == before_redeploy
