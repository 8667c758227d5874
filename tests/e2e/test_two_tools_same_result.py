"""The same folder, deployed by fabric-cicd 1.4.0 into workspace A and by fabctl (its CLI, fabric-cicd style: a
target workspace id, an environment name, parameter.yml, no workspace-config.yaml) into workspace B of one
emulator, gives the same items: compared type by type (parametrized, so a failure names the type), on their
decoded definitions with the ids made symbolic (every deployed id becomes "<Type/Name>", each workspace id
"<workspace>", each Eventhouse's query service URI "<Type/Name queryServiceUri>").

The folder holds every type fabric-cicd deploys (tests/support/every_type_workspace.py). Where fabctl differs on
purpose, the difference is asserted here as it is, and docs/fabric-cicd-endpoints.md ("fabctl and fabric-cicd:
deliberate differences") says why:

- `.platform`: fabric-cicd uploads the source's `.platform`, so Fabric keeps the source's logicalId; fabctl
  sends the metadata as item properties and no `.platform` part, so Fabric answers with its own (zero logicalId).
  Type, displayName and description are the same.
- The zero GUID: fabric-cicd replaces it only as the value of a `workspaceId`, `workspace` or
  `default_lakehouse_workspace_id` key; fabctl everywhere (a GraphQL API's `sourceWorkspaceId`, a OneLake path).
- key_value_replace: fabric-cicd writes every JSON part a rule applies to back on one line; fabctl keeps
  the part's layout. The JSON values are the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli import run, run_json
from emulator_process import running_emulator, snapshot
from every_type_workspace import (
    ITEM_TYPES,
    ITEMS,
    SALES_SQL_CONNECTION,
    TARGET_ENVIRONMENT,
    ZERO_GUID,
    write_every_type_workspace,
)
from fabric_cicd_run import DEFAULT_TOKEN, describe, publish_with_fabric_cicd

EMULATOR_ARGS = ("--lro-ms", "20", "--sql-endpoint-ms", "50", "--latency-ms", "0")
SHORTCUTS_ON = ("enable_shortcut_publish",)  # fabric-cicd's switch; fabctl deploys shortcuts.metadata.json always
# Parts a key_value_replace rule of the folder's parameter.yml applies to (fabric-cicd writes them on one line).
KEY_VALUE_EDITED = {("ApacheAirflowJob", "apacheairflowjob-content.json")}
# Where the folder has the zero GUID outside the keys fabric-cicd replaces it in.
# Created as shells by both tools (fabric_cicd.constants.SHELL_ONLY_PUBLISH, fabctl's SHELL_ONLY_TYPES).
SHELL_ONLY = {"Lakehouse", "Warehouse", "SQLDatabase", "MLExperiment"}
ZERO_GUID_ELSEWHERE = {("GraphQLApi", "graphql-definition.json"), ("GraphModel", "dataSources.json")}


@dataclass(frozen=True)
class Deployed:
    by_fabric_cicd: dict[str, dict[str, Any]]  # "Type/Name" -> item, ids symbolic
    by_fabctl: dict[str, dict[str, Any]]
    fabctl_again: dict[str, Any]  # fabctl's JSON report of the same deploy run a second time
    model_connections: tuple[list[dict[str, Any]], list[dict[str, Any]]]  # Sales Model's, (fabric-cicd, fabctl)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    workdir = tmp_path_factory.mktemp("two-tools")
    source = workdir / "repo"
    write_every_type_workspace(source)
    with (
        running_emulator(*EMULATOR_ARGS, tmp_path=workdir) as emulator,
        httpx.Client(
            base_url=emulator.root, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=30
        ) as client,
    ):
        capacity = client.get("/v1/capacities").json()["value"][0]["id"]
        a, b = (
            client.post("/v1/workspaces", json={"displayName": name, "capacityId": capacity}).json()["id"]
            for name in ("By fabric-cicd", "By fabctl")
        )
        seeded = client.post(f"{emulator.admin}/connections", json=SALES_SQL_CONNECTION)  # before either tool
        assert seeded.status_code == 201, seeded.text

        published = publish_with_fabric_cicd(
            emulator.url, source, a, ITEM_TYPES, environment=TARGET_ENVIRONMENT, feature_flags=SHORTCUTS_ON
        )
        assert published.returncode == 0, describe(published)
        cwd = workdir / "fabctl"
        cwd.mkdir()
        result = run(cwd, "deploy", str(source), "--workspace-id", b, "--env", TARGET_ENVIRONMENT,
                     "--fabric-url", emulator.url)  # fmt: skip
        assert result.returncode == 0, f"fabctl exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        again = run_json(cwd, "deploy", str(source), "--workspace-id", b, "--env", TARGET_ENVIRONMENT,
                         "--fabric-url", emulator.url)  # fmt: skip

        workspaces = {w["id"]: w for w in snapshot(emulator)["workspaces"]}
        connections = tuple(_model_connections(client, workspaces[w]) for w in (a, b))
        yield Deployed(_symbolic(client, workspaces[a]), _symbolic(client, workspaces[b]), again, connections)


def _model_connections(client: httpx.Client, workspace: dict[str, Any]) -> list[dict[str, Any]]:
    [model] = [i for i in workspace["items"] if (i["type"], i["displayName"]) == ("SemanticModel", "Sales Model")]
    response = client.get(f"/v1/workspaces/{workspace['id']}/items/{model['id']}/connections")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["value"]
    return listed


def _symbolic(client: httpx.Client, workspace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The workspace's items by "Type/Name", every id (and Eventhouse URI) in them replaced by a symbol."""
    symbols = {workspace["id"]: "<workspace>"}
    for item in workspace["items"]:
        symbols[item["id"]] = f"<{item['type']}/{item['displayName']}>"
        if item["type"] == "Eventhouse":
            house = client.get(f"/v1/workspaces/{workspace['id']}/eventhouses/{item['id']}").json()
            symbols[house["properties"]["queryServiceUri"]] = f"<{item['type']}/{item['displayName']} queryServiceUri>"
    pattern = re.compile("|".join(re.escape(value) for value in symbols))

    def symbolic(text: str) -> str:
        return pattern.sub(lambda match: symbols[match.group(0)], text)

    items = {}
    for item in workspace["items"]:
        definition = item["definition"]
        parts = None
        if definition is not None:
            parts = {p["path"]: symbolic(p["text"]) if "text" in p else p["base64"] for p in definition["parts"]}
        items[f"{item['type']}/{item['displayName']}"] = {
            "folder": item.get("folder", ""),
            "description": item["description"],
            "creationPayload": item.get("creationPayload"),
            "shortcuts": json.loads(symbolic(json.dumps(item.get("shortcuts", [])))),
            "activeValueSetName": item.get("activeValueSetName"),  # a Variable Library's only
            "parts": parts,
        }
    return items


def _of_type(items: dict[str, dict[str, Any]], item_type: str) -> dict[str, dict[str, Any]]:
    return {key: item for key, item in items.items() if key.split("/", 1)[0] == item_type}


def test_both_tools_deployed_every_item_of_the_folder(deployed: Deployed) -> None:
    expected = {f"{item.type}/{item.display_name}" for item in ITEMS}
    assert set(deployed.by_fabric_cicd) == expected
    assert set(deployed.by_fabctl) == expected


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_fabctl_deploys_the_type_as_fabric_cicd_does(deployed: Deployed, item_type: str) -> None:
    theirs, ours = _of_type(deployed.by_fabric_cicd, item_type), _of_type(deployed.by_fabctl, item_type)
    assert sorted(ours) == sorted(theirs)
    for key, their_item in theirs.items():
        our_item = ours[key]
        for field in ("folder", "description", "creationPayload", "shortcuts", "activeValueSetName"):
            assert our_item[field] == their_item[field], f"{key}: {field}"
        their_parts, our_parts = their_item["parts"], our_item["parts"]
        their_parts, our_parts = (None if p is None else dict(p) for p in (their_parts, our_parts))
        if their_parts is None:  # a type without definition APIs
            assert our_parts is None, key
            continue
        _check_platforms(key, their_parts.pop(".platform"), our_parts.pop(".platform"))
        assert sorted(our_parts) == sorted(their_parts), f"{key}: parts"
        for path, their_text in their_parts.items():
            our_text = our_parts[path]
            if (item_type, path) in ZERO_GUID_ELSEWHERE:
                assert ZERO_GUID in their_text and ZERO_GUID not in our_text, f"{key}: {path}"
                their_text = their_text.replace(ZERO_GUID, "<workspace>")
            if (item_type, path) in KEY_VALUE_EDITED:
                assert "\n" not in their_text.strip() and "\n" in our_text.strip(), f"{key}: {path}"
                assert json.loads(our_text) == json.loads(their_text), f"{key}: {path}"
                continue
            assert our_text == their_text, f"{key}: {path}"


def _check_platforms(key: str, theirs: str, ours: str) -> None:
    """The `.platform` each tool leaves: the same metadata; the source's logicalId only where it was uploaded."""
    their_platform, our_platform = json.loads(theirs), json.loads(ours)
    assert our_platform["metadata"] == their_platform["metadata"], key
    source = next(item for item in ITEMS if f"{item.type}/{item.display_name}" == key)
    uploaded = source.type not in SHELL_ONLY  # both tools create a shell-only item from its name alone
    assert their_platform["config"]["logicalId"] == (source.logical_id if uploaded else ZERO_GUID), key
    assert our_platform["config"]["logicalId"] == ZERO_GUID, key


def test_both_tools_published_the_lakehouse_shortcut_with_the_target_ids(deployed: Deployed) -> None:
    """Compared with the other fields above; here, that there is one to compare and what it points at."""
    for items in (deployed.by_fabric_cicd, deployed.by_fabctl):
        shortcuts = items["Lakehouse/Sales Lake"]["shortcuts"]
        assert [s["target"]["oneLake"] for s in shortcuts] == [
            {"path": "Files/landing", "itemId": "<Lakehouse/Sales Lake>", "workspaceId": "<workspace>"}
        ]


def test_both_tools_activated_the_value_set_of_the_target_environment(deployed: Deployed) -> None:
    for items in (deployed.by_fabric_cicd, deployed.by_fabctl):
        libraries = _of_type(items, "VariableLibrary")
        assert libraries and {i["activeValueSetName"] for i in libraries.values()} == {TARGET_ENVIRONMENT}


def test_both_tools_bound_the_model_to_the_connection_of_its_binding_rule(deployed: Deployed) -> None:
    """A binding is not in the definition compared above: each model's connections, as Fabric lists them."""
    by_fabric_cicd, by_fabctl = deployed.model_connections
    assert [c["id"] for c in by_fabric_cicd if c["connectionDetails"]["type"] == "SQL"] == [SALES_SQL_CONNECTION["id"]]
    assert by_fabctl == by_fabric_cicd


def test_a_second_fabctl_deploy_of_the_same_folder_writes_nothing(deployed: Deployed) -> None:
    """The filled clusterUris, the creation payloads and the rebound report are stable: every item is a no-op."""
    kinds = {change["key"]: change["kind"] for change in deployed.fabctl_again["plan"]["changes"]}
    assert len(kinds) == len(ITEMS)
    assert {key: kind for key, kind in kinds.items() if kind != "no-op"} == {}


def test_the_folder_exercises_each_deliberate_difference(deployed: Deployed) -> None:
    """The exceptions above are each met by the folder: none of them is a dead branch."""
    for item_type, path in ZERO_GUID_ELSEWHERE | KEY_VALUE_EDITED:
        item = next(iter(_of_type(deployed.by_fabric_cicd, item_type).values()))
        assert path in item["parts"], (item_type, path)
    key = f"{ITEMS[0].type}/{ITEMS[0].display_name}"
    assert ".platform" in deployed.by_fabctl[key]["parts"]


def test_the_source_folder_is_what_fabric_cicd_publishes(tmp_path: Path) -> None:
    """Every item of the folder is of a type fabric-cicd publishes, so B cannot hold an extra type."""
    from fabric_cicd.constants import ItemType

    write_every_type_workspace(tmp_path)
    types = {json.loads(p.read_text())["metadata"]["type"] for p in tmp_path.rglob(".platform")}
    assert types == {item_type.value for item_type in ItemType}
