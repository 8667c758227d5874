"""Reading the source, through the real CLI against the emulator: every item type fabric-cicd deploys,
nested workspace folders, moves, `.children` items, binary parts, and a refused `.platform`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from emulator_process import RunningEmulator, snapshot
from sources import (
    SOURCE,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    one_error_line,
    part_bytes,
    parts,
    plan,
    workspace,
    write_item,
    writes_since,
)

# fabric-cicd 1.4.0's accepted item types, written out so that a change on either side is seen.
FABRIC_CICD_TYPES = (
    "ApacheAirflowJob", "CopyJob", "CosmosDBDatabase", "DataAgent", "DataBuildToolJob", "DataPipeline",
    "Dataflow", "Environment", "Eventhouse", "Eventstream", "GraphModel", "GraphQLApi", "KQLDashboard",
    "KQLDatabase", "KQLQueryset", "Lakehouse", "MLExperiment", "Map", "MirroredDatabase",
    "MountedDataFactory", "Notebook", "Ontology", "PaginatedReport", "Reflex", "Report", "SQLDatabase",
    "SemanticModel", "SparkJobDefinition", "UserDataFunction", "VariableLibrary", "Warehouse",
)  # fmt: skip
# Deployed as empty shells by fabric-cicd as by fabctl: their content is data, not definition.
SHELLS = {"Lakehouse", "Warehouse", "SQLDatabase", "MLExperiment"}
# The files of each type, as Fabric's git integration writes them (enough of them to be realistic).
PARTS: dict[str, dict[str, str]] = {
    "Notebook": notebook("print('hello')"),
    "DataPipeline": {"pipeline-content.json": '{"properties": {"activities": []}}\n'},
    "Environment": {"Setting/Sparkcompute.yml": "enable_native_execution_engine: false\n"},
    "SemanticModel": {"definition.pbism": '{"version": "4.2"}\n', "definition/model.tmdl": "model Model\n"},
    "Report": {"definition.pbir": json.dumps({"datasetReference": {"byPath": {"path": "../Every.SemanticModel"}}}),
               "report.json": '{"sections": []}\n'},
    "PaginatedReport": {"report.rdl": "<Report/>\n"},
    "KQLDatabase": {"DatabaseProperties.json": '{"databaseType": "ReadWrite"}\n',
                    "DatabaseSchema.kql": ".create table T (a: int)\n"},
    "Dataflow": {"mashup.pq": 'section Section1;\nshared Q = 1;\n', "queryMetadata.json": "{}\n"},
    "VariableLibrary": {"variables.json": '{"variables": []}\n'},
}  # fmt: skip


def parts_of(item_type: str) -> dict[str, str]:
    return PARTS.get(item_type, {f"{item_type.lower()}-content.json": json.dumps({"type": item_type}) + "\n"})


def test_fabric_cicd_knows_the_types_this_test_deploys() -> None:
    from fabric_cicd.constants import ACCEPTED_ITEM_TYPES

    assert sorted(ACCEPTED_ITEM_TYPES) == sorted(FABRIC_CICD_TYPES)


def test_one_item_of_every_fabric_cicd_type_is_deployed_with_its_definition(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    for item_type in FABRIC_CICD_TYPES:
        write_item(root, item_type, "Every", parts_of(item_type), description=f"one {item_type}")

    result = deploy(tmp_path, emulator)

    assert result["state"] == "committed", result
    held = items(emulator)
    assert sorted(held) == sorted(f"Every.{t}" for t in FABRIC_CICD_TYPES)
    for item_type in FABRIC_CICD_TYPES:
        item = held[f"Every.{item_type}"]
        assert item["description"] == f"one {item_type}"
        sent = {p["path"] for p in parts(item)} - {".platform"}
        if item_type in SHELLS:
            assert sent == set(), f"{item_type} is a shell: its files are not sent"
            continue
        assert sent == set(parts_of(item_type)), item_type
        for path, text in parts_of(item_type).items():
            if (item_type, path) != ("Report", "definition.pbir"):  # rebound by connection on the way
                assert part_bytes(item, path) == text.encode("utf-8"), f"{item_type} {path}"
    again = plan(tmp_path, emulator)
    assert again["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": len(FABRIC_CICD_TYPES)}


def test_nested_folders_are_created_parent_first_with_children_and_binary_parts(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    every_byte = bytes(range(256)) * 4  # NUL, invalid UTF-8, CR and LF: nothing may be decoded or normalized
    write_item(root, "Notebook", "Deep", notebook("print(1)"), folder="Sales/Raw/2024")
    write_item(
        root, "Report", "Picture", {"definition.pbir": '{"version": "4.0"}\n', "logo.png": every_byte}, folder="Sales"
    )
    eventhouse = root / "Sales" / "Raw" / "Telemetry.Eventhouse"
    write_item(root, "Eventhouse", "Telemetry", {"EventhouseProperties.json": "{}\n"}, folder="Sales/Raw")
    write_item(
        eventhouse / ".children", "KQLDatabase", "TelemetryDb", {"DatabaseSchema.kql": ".create table T (a: int)\n"}
    )

    result = deploy(tmp_path, emulator)

    created = [o["item"] for o in result["outcomes"] if o["action"] == "create_folder"]
    assert created == ["Sales", "Sales/Raw", "Sales/Raw/2024"]  # each after its parent
    folders = {f["path"]: f for f in workspace(emulator)["folders"]}
    assert set(folders) == {"Sales", "Sales/Raw", "Sales/Raw/2024"}
    assert "parentFolderId" not in folders["Sales"]
    assert folders["Sales/Raw"]["parentFolderId"] == folders["Sales"]["id"]
    assert folders["Sales/Raw/2024"]["parentFolderId"] == folders["Sales/Raw"]["id"]
    held = items(emulator)
    assert held["Deep.Notebook"]["folder"] == "Sales/Raw/2024"
    assert held["TelemetryDb.KQLDatabase"]["folder"] == "Sales/Raw"  # a child lives in its parent's folder
    assert part_bytes(held["TelemetryDb.KQLDatabase"], "DatabaseSchema.kql") == b".create table T (a: int)\n"
    assert part_bytes(held["Picture.Report"], "logo.png") == every_byte


def test_an_item_whose_folder_changed_is_moved_not_recreated(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Wanderer", notebook("print(1)"), folder="Old")
    write_item(root, "Notebook", "Stayer", notebook("print(2)"), folder="Old")
    deploy(tmp_path, emulator)
    before_ids = {key: item["id"] for key, item in items(emulator).items()}
    shutil.move(root / "Old" / "Wanderer.Notebook", root / "New" / "Place" / "Wanderer.Notebook")
    before = calls(emulator)

    planned = plan(tmp_path, emulator)
    result = deploy(tmp_path, emulator)

    (move,) = [c for c in planned["changes"] if c["key"] == "Wanderer.Notebook"]
    assert move["kind"] == "update" and "New/Place" in move["reason"], move
    assert result["state"] == "committed"
    held = items(emulator)
    assert held["Wanderer.Notebook"]["folder"] == "New/Place"
    assert held["Stayer.Notebook"]["folder"] == "Old"
    assert {key: item["id"] for key, item in held.items()} == before_ids  # the same items, moved
    made = writes_since(emulator, before)
    assert made == {
        "POST /v1/workspaces/{workspaceId}/folders": 2,  # New, then New/Place
        "POST /v1/workspaces/{workspaceId}/items/{itemId}/move": 1,
    }, made


def test_a_bad_platform_is_refused_naming_file_and_field_and_nothing_is_written(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    write_item(root, "Notebook", "Good", notebook("print(1)"))
    write_item(root, "Notebook", "Broken", notebook("print(2)"), folder="Work")
    path = root / "Work" / "Broken.Notebook" / ".platform"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["metadata"]["displayName"]
    path.write_text(json.dumps(document), encoding="utf-8")
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert f"{SOURCE}/Work/Broken.Notebook/.platform" in line
    assert "field 'metadata.displayName'" in line
    assert writes_since(emulator, before) == {}
    assert snapshot(emulator)["workspaces"] == []
