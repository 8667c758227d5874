"""fabric-cicd 1.4.0, unmodified, publishes a workspace holding every item type it deploys (31, its `ItemType`)
into the emulator, and `unpublish_all_orphan_items` removes the orphans seeded before, without an error.

Each type is then checked on its own (parametrized, so a failure names the type): the item exists once, with the
id fabric-cicd reports, in its workspace folder, and with its definition: the source's parts (less what fabric-cicd
leaves out: `.pbi/`, an Eventhouse's `.children/`) with the logical ids replaced by the deployed ids, the
workspace's zero GUID by the workspace id and the parameter.yml values for the `test` environment applied.

The workspace is tests/support/every_type_workspace.py; shortcut publishing (`enable_shortcut_publish`) is on, so
the Lakehouse's `shortcuts.metadata.json` is published too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure, running_emulator, snapshot
from every_type_workspace import (
    DEV_STORAGE,
    ITEM_TYPES,
    ITEMS,
    SALES_SQL_CONNECTION,
    TARGET_ENVIRONMENT,
    TEST_STORAGE,
    ZERO_GUID,
    SourceItem,
    write_every_type_workspace,
)
from fabric_cicd_run import DEFAULT_TOKEN, deployed_ids, describe, publish_with_fabric_cicd

# fabric-cicd polls with no delay in tests (fabric_cicd_run.py): short operations keep the run to seconds.
EMULATOR_ARGS = ("--lro-ms", "20", "--sql-endpoint-ms", "50", "--latency-ms", "0")
# Data items are unpublished only behind these flags (fabric_cicd.constants.UNPUBLISH_FLAG_MAPPING);
# shortcuts are published only behind the first.
FLAGS = (
    "enable_shortcut_publish",
    "enable_lakehouse_unpublish",
    "enable_warehouse_unpublish",
    "enable_eventhouse_unpublish",
    "enable_kqldatabase_unpublish",
)
# What fabric-cicd leaves out of a definition (fabric_cicd.constants.EXCLUDE_PATH_REGEX_MAPPING).
EXCLUDED_PREFIXES = {"Report": ".pbi/", "SemanticModel": ".pbi/", "DataAgent": ".pbi/", "Eventhouse": ".children/"}
# Types fabric-cicd creates as shells (constants.SHELL_ONLY_PUBLISH): no definition is sent.
SHELL_ONLY = {"Lakehouse", "Warehouse", "SQLDatabase", "MLExperiment"}
# Types without definition APIs in Fabric: the emulator's snapshot has `definition: null` for them.
DEFINITIONLESS = {"Warehouse", "MLExperiment"}


@dataclass(frozen=True)
class Published:
    workspace_id: str
    result_ids: dict[str, dict[str, str]]
    items: dict[tuple[str, str], dict[str, Any]]  # (type, name) -> snapshot item
    folders: dict[str, str]  # folder id -> path
    query_service_uris: dict[str, str]  # Eventhouse name -> its queryServiceUri
    orphans: list[tuple[str, str]]
    model_connections: list[dict[str, Any]]  # GET .../items/{Sales Model}/connections after the runs


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _seed_orphans(client: httpx.Client, workspace_id: str) -> list[tuple[str, str]]:
    """Items the repository does not hold, a pipeline referring to a notebook among them."""

    def create(item_type: str, name: str, parts: dict[str, str] | None = None) -> str:
        body: dict[str, Any] = {"displayName": name, "type": item_type}
        if parts:
            body["definition"] = {
                "parts": [{"path": p, "payload": _b64(t), "payloadType": "InlineBase64"} for p, t in parts.items()]
            }
        response = client.post(f"/v1/workspaces/{workspace_id}/items", json=body)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    notebook = create("Notebook", "Old Notebook", {"notebook-content.py": "# Fabric notebook source\n"})
    activity = {"name": "Run", "type": "TridentNotebook", "typeProperties": {"notebookId": notebook}}
    create(
        "DataPipeline",
        "Old Pipeline",
        {"pipeline-content.json": json.dumps({"properties": {"activities": [activity]}})},
    )
    create("Lakehouse", "Old Lake")
    create("Warehouse", "Old Warehouse")
    house = create("Eventhouse", "Old House")
    create("KQLDatabase", "Old Db", {"DatabaseProperties.json": json.dumps({"parentEventhouseItemId": house})})
    return [
        ("Notebook", "Old Notebook"),
        ("DataPipeline", "Old Pipeline"),
        ("Lakehouse", "Old Lake"),
        ("Warehouse", "Old Warehouse"),
        ("Eventhouse", "Old House"),
        ("KQLDatabase", "Old Db"),
    ]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """One emulator and one fabric-cicd run for the module (its own emulator: nothing else resets it)."""
    workdir = tmp_path_factory.mktemp("every-type")
    repository = workdir / "repo"
    write_every_type_workspace(repository)
    with (
        running_emulator(*EMULATOR_ARGS, tmp_path=workdir) as emulator,
        httpx.Client(
            base_url=emulator.root, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=30
        ) as client,
    ):
        capacity = client.get("/v1/capacities").json()["value"][0]["id"]
        created = client.post("/v1/workspaces", json={"displayName": "Every type", "capacityId": capacity})
        assert created.status_code == 201, created.text
        workspace_id = created.json()["id"]
        seeded = client.post(f"{emulator.admin}/connections", json=SALES_SQL_CONNECTION)
        assert seeded.status_code == 201, seeded.text
        configure(emulator, lro_share=0.0)  # seeded synchronously; fabric-cicd then meets operations
        orphans = _seed_orphans(client, workspace_id)
        configure(emulator, lro_share=1.0)

        result = publish_with_fabric_cicd(
            emulator.url,
            repository,
            workspace_id,
            ITEM_TYPES,
            environment=TARGET_ENVIRONMENT,
            unpublish=True,
            feature_flags=FLAGS,
        )

        assert result.returncode == 0, describe(result)
        # Again, unchanged: every item is updated in place (updateDefinition?updateMetadata=True, or a
        # PATCH of a shell), no orphan is left to remove, and the result is the same.
        again = publish_with_fabric_cicd(
            emulator.url,
            repository,
            workspace_id,
            ITEM_TYPES,
            environment=TARGET_ENVIRONMENT,
            unpublish=True,
            feature_flags=FLAGS,
        )
        assert again.returncode == 0, describe(again)
        assert deployed_ids(again) == deployed_ids(result)
        yield _published(emulator, client, workspace_id, deployed_ids(result), orphans)


def _published(
    emulator: RunningEmulator,
    client: httpx.Client,
    workspace_id: str,
    result_ids: dict[str, dict[str, str]],
    orphans: list[tuple[str, str]],
) -> Published:
    workspace = next(w for w in snapshot(emulator)["workspaces"] if w["id"] == workspace_id)
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for item in workspace["items"]:
        key = (item["type"], item["displayName"])
        assert key not in items, f"{key} exists twice"
        items[key] = item
    folders = {folder["id"]: folder["path"] for folder in workspace["folders"]}
    uris = {}
    for (item_type, name), item in items.items():
        if item_type == "Eventhouse":
            body = client.get(f"/v1/workspaces/{workspace_id}/eventhouses/{item['id']}").json()
            uris[name] = body["properties"]["queryServiceUri"]
    model = items[("SemanticModel", "Sales Model")]["id"]
    connections = client.get(f"/v1/workspaces/{workspace_id}/items/{model}/connections")
    assert connections.status_code == 200, connections.text
    return Published(workspace_id, result_ids, items, folders, uris, orphans, connections.json()["value"])


def _parts(item: dict[str, Any]) -> dict[str, str]:
    definition = item.get("definition") or {"parts": []}
    return {part["path"]: part.get("text", part.get("base64")) for part in definition["parts"]}


def _expected_text(text: str, published: Published) -> str:
    """The source text as fabric-cicd should deploy it, but for the workspace id (compared as the zero GUID)."""
    for item in ITEMS:
        text = text.replace(item.logical_id, published.items[(item.type, item.display_name)]["id"])
    return text.replace(DEV_STORAGE, TEST_STORAGE)


def _items_of(item_type: str) -> list[SourceItem]:
    return [item for item in ITEMS if item.type == item_type]


def test_the_workspace_has_every_type_fabric_cicd_deploys() -> None:
    from fabric_cicd.constants import ItemType

    assert len(ItemType) == 31
    assert set(ITEM_TYPES) == {item_type.value for item_type in ItemType}


def test_fabric_cicd_unpublished_every_orphan(published: Published) -> None:
    assert [orphan for orphan in published.orphans if orphan in published.items] == []
    assert set(published.items) == {(item.type, item.display_name) for item in ITEMS}


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_fabric_cicd_published_the_type_with_its_definition(published: Published, item_type: str) -> None:
    for source in _items_of(item_type):
        deployed = published.items.get((source.type, source.display_name))
        assert deployed is not None, f"{source.key} was not published"
        assert deployed["id"] == published.result_ids[source.type][source.display_name]
        assert deployed["id"] != source.logical_id
        folder = source.parent.folder if source.parent else source.folder
        assert published.folders.get(deployed.get("folderId", ""), "") == folder
        parts = _parts(deployed)
        if source.type in DEFINITIONLESS:
            assert deployed["definition"] is None and deployed.get("creationPayload") == source.creation_payload
            continue
        platform = json.loads(parts.pop(".platform"))
        assert platform["metadata"]["type"] == source.type
        assert platform["metadata"]["displayName"] == source.display_name
        if source.type in SHELL_ONLY:
            assert parts == {}, f"{source.key} is shell-only, yet has parts {sorted(parts)}"
            continue
        excluded = EXCLUDED_PREFIXES.get(source.type)
        expected_paths = {path for path in source.parts if not (excluded and path.startswith(excluded))}
        assert set(parts) == expected_paths
        for path, deployed_text in parts.items():
            _check_part(source, path, deployed_text.replace(published.workspace_id, ZERO_GUID), published)
            assert not any(item.logical_id in deployed_text for item in ITEMS), f"{path} keeps a logical id"


def _check_part(source: SourceItem, path: str, deployed: str, published: Published) -> None:
    expected = _expected_text(source.parts[path], published)
    document = json.loads(expected) if path.endswith(".json") else None
    rewritten = _rewritten_by_fabric_cicd(source, path, document, published)
    if rewritten is not None:
        assert json.loads(deployed) == rewritten, f"{source.key}: {path}"
    else:
        assert deployed == expected, f"{source.key}: {path}"


def _rewritten_by_fabric_cicd(source: SourceItem, path: str, document: Any, published: Published) -> Any:
    """The JSON value of the parts fabric-cicd parses and writes back; None for the parts it sends as they are.
    The cluster of a KQL data source is the query service of the Eventhouse holding its database."""
    house_uri = published.query_service_uris["Telemetry House"]
    if source.type == "ApacheAirflowJob" and path == "apacheairflowjob-content.json":
        document["properties"]["typeProperties"]["computeProperties"]["computeSize"] = "Large"  # key_value_replace
        return document
    if source.type == "KQLQueryset":
        document["queryset"]["dataSources"][0]["clusterUri"] = house_uri
        return document
    if source.type == "KQLDashboard":
        document["dataSources"][0]["clusterUri"] = house_uri
        return document
    if source.type == "Report" and path == "definition.pbir":
        # A live connection to the deployed model, the form Fabric gives a report bound in the service.
        document = json.loads(_expected_text(source.parts[path], published))
        document["datasetReference"] = {
            "byConnection": {
                "connectionString": None,
                "pbiServiceModelId": None,
                "pbiModelVirtualServerName": "sobe_wowvirtualserver",
                "pbiModelDatabaseName": published.items[("SemanticModel", "Sales Model")]["id"],
                "name": "EntityDataSource",
                "connectionType": "pbiServiceXmlaStyleLive",
            }
        }
        return document
    return None


def test_a_report_bound_by_path_is_bound_by_connection_to_the_deployed_model(published: Published) -> None:
    report = _parts(published.items[("Report", "Sales Report")])
    reference = json.loads(report["definition.pbir"])["datasetReference"]
    assert set(reference) == {"byConnection"}
    assert reference["byConnection"]["pbiModelDatabaseName"] == published.items[("SemanticModel", "Sales Model")]["id"]


def test_references_to_the_workspace_name_the_target_workspace(published: Published) -> None:
    notebook = _parts(published.items[("Notebook", "Load Orders")])["notebook-content.py"]
    assert f'"default_lakehouse_workspace_id": "{published.workspace_id}"' in notebook
    pipeline = json.loads(_parts(published.items[("DataPipeline", "Daily Orders")])["pipeline-content.json"])
    activities = pipeline["properties"]["activities"]
    assert [a["typeProperties"]["workspaceId"] for a in activities] == [published.workspace_id] * 2
    assert activities[0]["typeProperties"]["notebookId"] == published.items[("Notebook", "Load Orders")]["id"]


def test_a_kql_database_kept_under_its_eventhouse_refers_to_the_deployed_eventhouse(published: Published) -> None:
    database = json.loads(_parts(published.items[("KQLDatabase", "Telemetry")])["DatabaseProperties.json"])
    assert database["parentEventhouseItemId"] == published.items[("Eventhouse", "Telemetry House")]["id"]
    assert not any(path.startswith(".children/") for path in _parts(published.items[("Eventhouse", "Telemetry House")]))


def test_a_schema_enabled_lakehouse_is_created_with_schemas(published: Published) -> None:
    assert published.items[("Lakehouse", "Sales Lake")].get("creationPayload") == {"enableSchemas": True}


def test_the_lakehouse_shortcut_is_published_with_the_deployed_ids(published: Published) -> None:
    lakehouse = published.items[("Lakehouse", "Sales Lake")]
    shortcuts = lakehouse.get("shortcuts")
    assert shortcuts is not None, "no shortcut was published"
    # The file says "/Files"; Fabric lists a shortcut's path without the leading slash.
    assert [(s["path"].lstrip("/"), s["name"]) for s in shortcuts] == [("Files", "raw_orders")]
    # The zero GUIDs of the file: this workspace, and this lakehouse.
    onelake = shortcuts[0]["target"]["oneLake"]
    assert onelake == {"path": "Files/landing", "itemId": lakehouse["id"], "workspaceId": published.workspace_id}


def test_fabric_cicd_bound_the_model_to_the_connection_of_its_binding_rule(published: Published) -> None:
    """Its SQL source uses the seeded connection; its lake source (no rule) stays unbound."""
    sql = [c for c in published.model_connections if c["connectionDetails"]["type"] == "SQL"]
    assert [(c["id"], c["connectionDetails"]) for c in sql] == [
        (SALES_SQL_CONNECTION["id"], SALES_SQL_CONNECTION["connectionDetails"])
    ]
    lake = [c for c in published.model_connections if c["connectionDetails"]["type"] == "AzureDataLakeStorage"]
    assert [(c["id"], c["connectivityType"]) for c in lake] == [(None, "None")]
