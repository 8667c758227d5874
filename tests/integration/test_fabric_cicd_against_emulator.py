"""fabric-cicd 1.4.0, unmodified, publishes a Fabric git folder into the emulator and the result is what it would be
in Fabric: every item exists once with its definition, logical ids replaced by the ids of the deployed items.

fabric-cicd runs in a subprocess (tests/support/fabric_cicd_run.py) against the session's emulator (`fresh_emulator`
from conftest.py: reset, default knobs); its state is read back through `GET /_emulator/snapshot` and the public
folder/item lists.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure, requests_log, running_emulator, snapshot
from fabric_cicd_repository import (
    EXPLORE_NOTEBOOK,
    ITEM_TYPES,
    ITEMS,
    LAKEHOUSE,
    LOAD_NOTEBOOK,
    NOTEBOOK_FOLDER,
    PIPELINE,
    REPORT,
    SEMANTIC_MODEL,
    ZERO_GUID,
    write_repository,
)
from fabric_cicd_run import DEFAULT_TOKEN, deployed_ids, describe, publish_with_fabric_cicd

FALLBACK_CAPACITY_ID = "0c7b5a2e-4d1f-4a8b-9c3e-2f6d8e1a7b90"
NOTEBOOKS = (LOAD_NOTEBOOK, EXPLORE_NOTEBOOK)
SALES_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sales-workspace"


@pytest.fixture
def client(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=fresh_emulator.root, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=30
    ) as http:
        yield http


def test_fabric_cicd_publishes_notebooks_pipeline_lakehouse_model_and_report(
    fresh_emulator: RunningEmulator, client: httpx.Client, tmp_path: Path
) -> None:
    source = write_repository(tmp_path / "repo")
    workspace_id = _create_workspace_on_a_capacity(client, "fabric-cicd publish")

    result = publish_with_fabric_cicd(fresh_emulator.url, tmp_path / "repo", workspace_id, ITEM_TYPES)

    assert result.returncode == 0, describe(result)
    deployed = _items_by_key(_snapshot_workspace(fresh_emulator, workspace_id))
    ids = {item: deployed[(item.type, item.display_name)]["id"] for item in ITEMS}
    assert ids == {item: deployed_ids(result)[item.type][item.display_name] for item in ITEMS}
    assert len(set(ids.values())) == len(ITEMS)
    assert not set(ids.values()) & {item.logical_id for item in ITEMS}

    explore = _parts(deployed[(EXPLORE_NOTEBOOK.type, EXPLORE_NOTEBOOK.display_name)])
    assert explore["notebook-content.py"] == source[EXPLORE_NOTEBOOK]["notebook-content.py"]

    load = _parts(deployed[(LOAD_NOTEBOOK.type, LOAD_NOTEBOOK.display_name)])
    expected_load = (
        source[LOAD_NOTEBOOK]["notebook-content.py"]
        .replace(LAKEHOUSE.logical_id, ids[LAKEHOUSE])
        .replace(ZERO_GUID, workspace_id)
    )
    assert load["notebook-content.py"] == expected_load

    pipeline = json.loads(_parts(deployed[(PIPELINE.type, PIPELINE.display_name)])["pipeline-content.json"])
    activity = pipeline["properties"]["activities"][0]["typeProperties"]
    assert activity["notebookId"] == ids[LOAD_NOTEBOOK] != LOAD_NOTEBOOK.logical_id
    assert activity["workspaceId"] == workspace_id

    model = _parts(deployed[(SEMANTIC_MODEL.type, SEMANTIC_MODEL.display_name)])
    for path, text in source[SEMANTIC_MODEL].items():
        assert model[path] == text, path

    report = _parts(deployed[(REPORT.type, REPORT.display_name)])
    dataset_reference = json.loads(report["definition.pbir"])["datasetReference"]
    assert "byPath" not in dataset_reference
    assert dataset_reference["byConnection"]["pbiModelDatabaseName"] == ids[SEMANTIC_MODEL]
    assert json.loads(report["report.json"]) == json.loads(source[REPORT]["report.json"])

    folder_id = _folder_id(client, workspace_id, NOTEBOOK_FOLDER)
    listed = {item["id"]: item for item in client.get(f"/v1/workspaces/{workspace_id}/items").json()["value"]}
    assert listed[ids[LOAD_NOTEBOOK]].get("folderId") == folder_id
    assert listed[ids[EXPLORE_NOTEBOOK]].get("folderId") == folder_id
    assert listed[ids[LAKEHOUSE]].get("folderId") is None


def test_fabric_cicd_republishes_in_place_and_unpublishes_orphans(
    fresh_emulator: RunningEmulator, client: httpx.Client, tmp_path: Path
) -> None:
    repository = tmp_path / "repo"
    source = write_repository(repository)
    workspace_id = _create_workspace_on_a_capacity(client, "fabric-cicd republish")
    first = publish_with_fabric_cicd(fresh_emulator.url, repository, workspace_id, ITEM_TYPES)
    assert first.returncode == 0, describe(first)
    before = _items_by_key(_snapshot_workspace(fresh_emulator, workspace_id))

    # The orphaned pipeline makes fabric-cicd read its deployed definition (getDefinition) to order deletions.
    removed = [EXPLORE_NOTEBOOK, PIPELINE]
    for item in removed:
        shutil.rmtree(repository / item.directory)
    changed_load = source[LOAD_NOTEBOOK]["notebook-content.py"] + "\n# CELL ********************\n\nprint('v2')\n"
    (repository / LOAD_NOTEBOOK.directory / "notebook-content.py").write_text(changed_load, encoding="utf-8")

    second = publish_with_fabric_cicd(fresh_emulator.url, repository, workspace_id, ITEM_TYPES, unpublish=True)

    assert second.returncode == 0, describe(second)
    after = _items_by_key(_snapshot_workspace(fresh_emulator, workspace_id))
    for item in removed:
        assert (item.type, item.display_name) not in after
    for kept in (item for item in ITEMS if item not in removed):
        key = (kept.type, kept.display_name)
        assert after[key]["id"] == before[key]["id"], f"{key} was recreated instead of updated"
    lakehouse_id = after[(LAKEHOUSE.type, LAKEHOUSE.display_name)]["id"]
    load = _parts(after[(LOAD_NOTEBOOK.type, LOAD_NOTEBOOK.display_name)])
    assert load["notebook-content.py"] == changed_load.replace(LAKEHOUSE.logical_id, lakehouse_id).replace(
        ZERO_GUID, workspace_id
    )
    assert _folder_id(client, workspace_id, NOTEBOOK_FOLDER)


def test_fabric_cicd_publishes_the_sales_example_for_the_test_environment(
    fresh_emulator: RunningEmulator, client: httpx.Client, tmp_path: Path
) -> None:
    """The project's own example: 7 item types (Environment and VariableLibrary too), nested workspace folders,
    a binary report resource and parameter.yml replacements for the `test` environment. The Environment's publish
    runs a while, so fabric-cicd's wait (it lists environments until none is Running) is exercised."""
    configure(fresh_emulator, publish_ms=300)
    repository = tmp_path / "sales-workspace"
    shutil.copytree(SALES_EXAMPLE, repository)
    platforms = {path.parent: json.loads(path.read_text(encoding="utf-8")) for path in repository.rglob(".platform")}
    expected = {(p["metadata"]["type"], p["metadata"]["displayName"]) for p in platforms.values()}
    logical_ids = {p["metadata"]["displayName"]: p["config"]["logicalId"] for p in platforms.values()}
    workspace_id = _create_workspace_on_a_capacity(client, "fabric-cicd sales example")

    result = publish_with_fabric_cicd(
        fresh_emulator.url,
        repository,
        workspace_id,
        sorted({item_type for item_type, _ in expected}),
        environment="test",
    )

    assert result.returncode == 0, describe(result)
    deployed = _items_by_key(_snapshot_workspace(fresh_emulator, workspace_id))
    assert expected <= set(deployed)
    notebook_ids = {name: deployed[("Notebook", name)]["id"] for name in ("Load Sales", "Transform Sales")}
    pipeline = json.loads(_parts(deployed[("DataPipeline", "Daily Sales")])["pipeline-content.json"])
    assert [a["typeProperties"]["notebookId"] for a in pipeline["properties"]["activities"]] == [
        notebook_ids["Load Sales"],
        notebook_ids["Transform Sales"],
    ]
    assert notebook_ids["Load Sales"] != logical_ids["Load Sales"]
    load = _parts(deployed[("Notebook", "Load Sales")])["notebook-content.py"]
    assert "contosotestsales.dfs.core.windows.net" in load
    assert "contosodevsales" not in load
    assert deployed[("Environment", "SalesSpark")]["id"] in load
    report = _parts(deployed[("Report", "Sales Report")])
    dataset_reference = json.loads(report["definition.pbir"])["datasetReference"]
    assert dataset_reference["byConnection"]["pbiModelDatabaseName"] == deployed[("SemanticModel", "Sales Model")]["id"]
    assert "StaticResources/RegisteredResources/logo.png" in report
    settings_folder = _folder_id(client, workspace_id, "Settings")
    listed = {item["id"]: item for item in client.get(f"/v1/workspaces/{workspace_id}/items").json()["value"]}
    assert listed[deployed[("VariableLibrary", "Sales Settings")]["id"]].get("folderId") == settings_folder
    # Published, not only staged: what fabric-cicd waited for.
    assert deployed[("Environment", "SalesSpark")]["publish"] == {"state": "Success", "stagedChanged": False}
    calls = requests_log(fresh_emulator)["byRoute"]
    assert calls["POST /v1/workspaces/{workspaceId}/environments/{itemId}/staging/publish"] == 1
    environments = _listed_environments(client, workspace_id)
    assert [e["properties"]["publishDetails"]["state"] for e in environments] == ["Success"]


def test_fabric_cicd_obeys_the_429_of_a_poll_sooner_than_the_recorded_retry_after(tmp_path: Path) -> None:
    # The recorded profile refuses early polls (ADR 0029); fabric-cicd polls 1 s after a 202 whatever its
    # Retry-After says, and sleeps min(Retry-After, 10 s * 2^attempt) after a 429. Its own delays, not the
    # harness's 0 s: what it does on the 429 is what is shown. A 3 s floor instead of 20 keeps the run short
    # and still leaves fabric-cicd 2 s to send its first poll early; that it completes is what is asserted,
    # not how long it took.
    write_repository(tmp_path / "repo")
    args = ("--profile", "recorded", "--lro-ms", "200", "--publish-ms", "0", "--sql-endpoint-ms", "0")
    with running_emulator(*args, tmp_path=tmp_path) as emulator:
        knobs = configure(emulator, create_retry_after_s=3)
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        with httpx.Client(base_url=emulator.root, headers=headers, timeout=30) as client:
            workspace_id = _create_workspace_on_a_capacity(client, "fabric-cicd early polls")
        result = publish_with_fabric_cicd(
            emulator.url, tmp_path / "repo", workspace_id, ["Lakehouse", "Notebook"], own_delays=True
        )
        log = requests_log(emulator)
        deployed = _items_by_key(_snapshot_workspace(emulator, workspace_id))

    assert knobs["refuse_early_polls"] is True
    assert result.returncode == 0, describe(result)
    assert {(LAKEHOUSE.type, LAKEHOUSE.display_name), *((n.type, n.display_name) for n in NOTEBOOKS)} == set(deployed)
    assert log["earlyPolls"] >= len(NOTEBOOKS), log  # each notebook's create (a 202) was polled after 1 s
    assert log["statuses"]["429"] == log["earlyPolls"], log  # no other 429
    assert log["earlyRetries"] == 0, log


def _listed_environments(client: httpx.Client, workspace_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"/v1/workspaces/{workspace_id}/environments/")
    assert listed.status_code == 200, listed.text
    environments: list[dict[str, Any]] = listed.json()["value"]
    return environments


def _create_workspace_on_a_capacity(client: httpx.Client, name: str) -> str:
    """fabric-cicd refuses to publish Lakehouses, Notebooks and pipelines into a workspace without `capacityId`."""
    capacities = client.get("/v1/capacities")
    listed = capacities.json().get("value", []) if capacities.status_code == 200 else []
    capacity_id = listed[0]["id"] if listed else FALLBACK_CAPACITY_ID
    created = client.post("/v1/workspaces", json={"displayName": name, "capacityId": capacity_id})
    assert created.status_code == 201, created.text
    workspace_id: str = created.json()["id"]
    if not client.get(f"/v1/workspaces/{workspace_id}").json().get("capacityId"):
        assigned = client.post(f"/v1/workspaces/{workspace_id}/assignToCapacity", json={"capacityId": capacity_id})
        assert assigned.status_code in (200, 202), assigned.text
    assert client.get(f"/v1/workspaces/{workspace_id}").json().get("capacityId"), "workspace has no capacityId"
    return workspace_id


def _snapshot_workspace(emulator: RunningEmulator, workspace_id: str) -> dict[str, Any]:
    workspaces = snapshot(emulator)["workspaces"]
    matching = [workspace for workspace in workspaces if workspace["id"] == workspace_id]
    assert len(matching) == 1, f"workspace {workspace_id} not in snapshot: {workspaces}"
    return dict(matching[0])


def _items_by_key(workspace: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Items by (type, displayName); fails if a name is used twice for a type."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for item in workspace["items"]:
        key = (item["type"], item["displayName"])
        assert key not in by_key, f"{key} exists twice in the workspace"
        by_key[key] = item
    return by_key


def _parts(item: dict[str, Any]) -> dict[str, str]:
    """Definition parts of a snapshot item as {path: text}; binary parts stay base64."""
    definition = item.get("definition")
    assert definition, f"{item['type']} {item['displayName']} has no definition in the snapshot"
    return {part["path"]: part["text"] if "text" in part else part["base64"] for part in definition["parts"]}


def _folder_id(client: httpx.Client, workspace_id: str, display_name: str) -> str:
    folders = client.get(f"/v1/workspaces/{workspace_id}/folders").json()["value"]
    matching = [folder["id"] for folder in folders if folder["displayName"] == display_name]
    assert len(matching) == 1, f"folder {display_name!r} not found exactly once: {folders}"
    return str(matching[0])
