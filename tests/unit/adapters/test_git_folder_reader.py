"""Reading workspaces in Fabric git integration format: the example, layouts, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.adapters.source.memory import InMemorySourceReader
from fabctl.domain.errors import (
    DuplicateItem,
    InvalidConfiguration,
    InvalidSource,
    UnknownItemType,
)
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales-workspace"

LAKEHOUSE_ID = "b0dfe8c3-68ed-46d8-a40b-967c750b403d"
ENVIRONMENT_ID = "25cd8656-9696-4efc-842e-0c6eda65befa"
LOAD_ID = "58e6fed5-d8e4-4386-8a45-b5855d0beae2"
TRANSFORM_ID = "4e5e9689-f0b3-42ed-8285-0094e571a9fb"
PIPELINE_ID = "b76b937c-a7ec-41c7-8219-ef64049fa5aa"
MODEL_ID = "0f8e501c-7ba2-4019-8e3b-612df1662875"
REPORT_ID = "ba2aa6fd-9653-40e7-9a1e-3576b48d3eb6"
SETTINGS_ID = "b266caf7-6053-4277-97b4-e311862c6691"

ID_A = "11111111-aaaa-4aaa-8aaa-111111111111"
ID_B = "22222222-bbbb-4bbb-8bbb-222222222222"
ID_C = "33333333-cccc-4ccc-8ccc-333333333333"


def read(source: Path | str) -> Workspace:
    return FabricGitFolderReader().read_workspace(str(source))


def platform_json(item_type: str, name: str, logical_id: str, **metadata: object) -> str:
    return json.dumps(
        {
            "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/"
            "platformProperties/2.0.0/schema.json",
            "metadata": {"type": item_type, "displayName": name, **metadata},
            "config": {"version": "2.0", "logicalId": logical_id},
        },
        indent=2,
    )


def write_item(
    root: Path,
    folder: str,
    item_type: str,
    name: str,
    logical_id: str,
    files: dict[str, bytes] | None = None,
) -> Path:
    item_dir = root / folder / f"{name}.{item_type}"
    item_dir.mkdir(parents=True)
    (item_dir / ".platform").write_text(platform_json(item_type, name, logical_id), "utf-8")
    for path, payload in (files or {}).items():
        (item_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (item_dir / path).write_bytes(payload)
    return item_dir


def bad_platform(tmp_path: Path, text: str) -> tuple[Path, str]:
    """A source whose only item has `text` as .platform; returns the source and that file."""
    source = tmp_path / "ws"
    item_dir = source / "Load.Notebook"
    item_dir.mkdir(parents=True)
    (item_dir / "notebook-content.py").write_text("# Fabric notebook source\n", "utf-8")
    (item_dir / ".platform").write_text(text, "utf-8")
    return source, (item_dir / ".platform").as_posix()


# --- the example ------------------------------------------------------------------------------


def test_the_example_holds_eight_items_with_their_types_ids_and_folders() -> None:
    workspace = read(EXAMPLE)

    assert workspace.name == "sales-workspace"
    assert {(i.type, i.name, str(i.logical_id), i.folder) for i in workspace} == {
        ("Lakehouse", "SalesLakehouse", LAKEHOUSE_ID, ""),
        ("Environment", "SalesSpark", ENVIRONMENT_ID, ""),
        ("Notebook", "Load Sales", LOAD_ID, "Notebooks"),
        ("Notebook", "Transform Sales", TRANSFORM_ID, "Notebooks"),
        ("DataPipeline", "Daily Sales", PIPELINE_ID, "Orchestration"),
        ("SemanticModel", "Sales Model", MODEL_ID, ""),
        ("Report", "Sales Report", REPORT_ID, ""),
        ("VariableLibrary", "Sales Settings", SETTINGS_ID, "Orchestration/Settings"),
    }
    assert workspace.folders == ["Notebooks", "Orchestration", "Orchestration/Settings"]


def test_the_example_items_know_their_source_path() -> None:
    workspace = read(EXAMPLE)

    assert {i.name: i.source_path for i in workspace} == {
        "SalesLakehouse": "SalesLakehouse.Lakehouse",
        "SalesSpark": "SalesSpark.Environment",
        "Load Sales": "Notebooks/Load Sales.Notebook",
        "Transform Sales": "Notebooks/Transform Sales.Notebook",
        "Daily Sales": "Orchestration/Daily Sales.DataPipeline",
        "Sales Model": "Sales Model.SemanticModel",
        "Sales Report": "Sales Report.Report",
        "Sales Settings": "Orchestration/Settings/Sales Settings.VariableLibrary",
    }


def test_parts_are_every_file_but_platform_with_slash_paths() -> None:
    workspace = read(EXAMPLE)

    model = workspace.get(ItemKey("SemanticModel", "Sales Model"))
    report = workspace.get(ItemKey("Report", "Sales Report"))
    environment = workspace.get(ItemKey("Environment", "SalesSpark"))
    assert model is not None and report is not None and environment is not None
    assert [p.path for p in model.definition.parts] == [
        "definition.pbism",
        "definition/database.tmdl",
        "definition/model.tmdl",
        "definition/tables/Sales.tmdl",
    ]
    assert [p.path for p in report.definition.parts] == [
        "StaticResources/RegisteredResources/logo.png",
        "definition.pbir",
        "report.json",
    ]
    assert [p.path for p in environment.definition.parts] == [
        "Libraries/PublicLibraries/environment.yml",
        "Setting/Sparkcompute.yml",
    ]


def test_a_binary_part_keeps_the_bytes_of_its_file() -> None:
    logo_file = EXAMPLE / "Sales Report.Report" / "StaticResources/RegisteredResources/logo.png"

    report = read(EXAMPLE).get(ItemKey("Report", "Sales Report"))

    assert report is not None
    logo = report.definition.part("StaticResources/RegisteredResources/logo.png")
    assert logo is not None
    assert logo.payload == logo_file.read_bytes()
    assert logo.payload.startswith(b"\x89PNG\r\n\x1a\n")
    assert logo.text is None  # binary: never rewritten by parameters or binding


def test_metadata_description_and_creation_payload_come_from_platform() -> None:
    lakehouse = read(EXAMPLE).get(ItemKey("Lakehouse", "SalesLakehouse"))

    assert lakehouse is not None
    assert lakehouse.description == "Raw and curated sales data"
    assert lakehouse.creation_payload == {"enableSchemas": True}


# --- layouts ----------------------------------------------------------------------------------


def test_nested_directories_become_nested_workspace_folders(tmp_path: Path) -> None:
    write_item(tmp_path, "", "Lakehouse", "Raw", ID_A)
    write_item(tmp_path, "Finance/Monthly/Close", "Notebook", "Close Books", ID_B)
    write_item(tmp_path, "Finance", "Notebook", "Budget", ID_C)

    workspace = read(tmp_path)

    assert {i.name: i.folder for i in workspace} == {
        "Raw": "",
        "Close Books": "Finance/Monthly/Close",
        "Budget": "Finance",
    }
    assert workspace.folders == ["Finance", "Finance/Monthly", "Finance/Monthly/Close"]
    close = workspace.get(ItemKey("Notebook", "Close Books"))
    assert close is not None and close.source_path == "Finance/Monthly/Close/Close Books.Notebook"


def test_children_are_items_in_their_parents_folder(tmp_path: Path) -> None:
    parent = write_item(tmp_path, "Telemetry", "Eventhouse", "Events", ID_A, {"EventhouseProperties.json": b"{}"})
    write_item(
        parent / ".children",
        "",
        "KQLDatabase",
        "EventsDb",
        ID_B,
        {"DatabaseProperties.json": b'{"databaseType": "ReadWrite"}', "DatabaseSchema.kql": b""},
    )

    workspace = read(tmp_path)

    assert len(workspace) == 2
    eventhouse = workspace.get(ItemKey("Eventhouse", "Events"))
    database = workspace.get(ItemKey("KQLDatabase", "EventsDb"))
    assert eventhouse is not None and database is not None
    assert [p.path for p in eventhouse.definition.parts] == ["EventhouseProperties.json"]
    assert [p.path for p in database.definition.parts] == [
        "DatabaseProperties.json",
        "DatabaseSchema.kql",
    ]
    assert database.folder == "Telemetry"
    assert database.logical_id == LogicalId(ID_B)
    assert database.source_path == "Telemetry/Events.Eventhouse/.children/EventsDb.KQLDatabase"


def test_hidden_directories_and_loose_files_are_not_read(tmp_path: Path) -> None:
    write_item(tmp_path, "", "Report", "Sales", ID_A, {"definition.pbir": b"{}", ".pbi/cache.abf": b"x"})
    write_item(tmp_path, ".git/stash", "Notebook", "Old", ID_B)
    write_item(tmp_path, ".fabctl", "Notebook", "State", ID_C)
    (tmp_path / "README.md").write_text("# notes\n", "utf-8")
    (tmp_path / "parameter.yml").write_text("find_replace: []\n", "utf-8")

    workspace = read(tmp_path)

    assert [i.key for i in workspace] == [ItemKey("Report", "Sales")]
    report = workspace.get(ItemKey("Report", "Sales"))
    assert report is not None and [p.path for p in report.definition.parts] == ["definition.pbir"]


def test_an_upper_case_logical_id_is_read_in_lower_case(tmp_path: Path) -> None:
    write_item(tmp_path, "", "Notebook", "Load", ID_A.upper())

    (item,) = list(read(tmp_path))

    assert str(item.logical_id) == ID_A


def test_a_platform_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    item_dir = write_item(tmp_path, "", "Notebook", "Load", ID_A)
    (item_dir / ".platform").write_bytes(b"\xef\xbb\xbf" + platform_json("Notebook", "Load", ID_A).encode())

    assert [i.key for i in read(tmp_path)] == [ItemKey("Notebook", "Load")]


# --- bad input: one error naming the file and the field ----------------------------------------


def test_an_item_folder_without_platform_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "Notebooks" / "Load Sales.Notebook"
    folder.mkdir(parents=True)
    (folder / "notebook-content.py").write_text("# Fabric notebook source\n", "utf-8")

    with pytest.raises(InvalidSource) as raised:
        read(tmp_path)

    assert raised.value.subject == f"{tmp_path.as_posix()}/Notebooks/Load Sales.Notebook/.platform"
    assert "missing .platform" in raised.value.message


def test_a_child_folder_without_platform_is_an_error(tmp_path: Path) -> None:
    parent = write_item(tmp_path, "", "Eventhouse", "Events", ID_A)
    (parent / ".children" / "EventsDb.KQLDatabase").mkdir(parents=True)

    with pytest.raises(InvalidSource) as raised:
        read(tmp_path)

    assert raised.value.subject == (f"{tmp_path.as_posix()}/Events.Eventhouse/.children/EventsDb.KQLDatabase/.platform")
    assert "missing .platform" in raised.value.message


def test_malformed_json_names_the_line_and_column(tmp_path: Path) -> None:
    # The comma after "Load" is missing: the parser stops at the next key, line 4, column 3.
    source, platform = bad_platform(
        tmp_path,
        '{\n  "metadata": {"type": "Notebook",\n  "displayName": "Load"\n  "config": {}}\n}\n',
    )

    with pytest.raises(InvalidSource) as raised:
        read(source)

    assert raised.value.subject == platform
    assert "malformed JSON at line 4, column 3" in raised.value.message


def test_platform_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    source, platform = bad_platform(tmp_path, "[1, 2]")

    with pytest.raises(InvalidSource) as raised:
        read(source)

    assert raised.value.subject == platform


NOTEBOOK: dict[str, object] = {"type": "Notebook", "displayName": "Load"}
CONFIG: dict[str, object] = {"logicalId": ID_A}


@pytest.mark.parametrize(
    ("platform", "field"),
    [
        ({"metadata": {"displayName": "Load"}, "config": CONFIG}, "metadata.type"),
        ({"metadata": {"type": "Notebook"}, "config": CONFIG}, "metadata.displayName"),
        ({"metadata": {**NOTEBOOK, "displayName": " "}, "config": CONFIG}, "metadata.displayName"),
        ({"metadata": {**NOTEBOOK, "type": 7}, "config": CONFIG}, "metadata.type"),
        (
            {"metadata": {**NOTEBOOK, "creationPayload": [1]}, "config": CONFIG},
            "metadata.creationPayload",
        ),
        ({"config": CONFIG}, "metadata"),
        ({"metadata": NOTEBOOK}, "config"),
        ({"metadata": NOTEBOOK, "config": {}}, "config.logicalId"),
        ({"metadata": NOTEBOOK, "config": {"logicalId": ID_A + "\n"}}, "config.logicalId"),
    ],
)  # fmt: skip
def test_a_missing_or_mistyped_field_is_named(tmp_path: Path, platform: dict[str, object], field: str) -> None:
    source, path = bad_platform(tmp_path, json.dumps(platform))

    with pytest.raises(InvalidSource) as raised:
        read(source)

    assert type(raised.value) is InvalidSource
    assert raised.value.subject == path
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{path}, field '{field}': ")


def test_an_unknown_item_type_suggests_close_known_types(tmp_path: Path) -> None:
    source, platform = bad_platform(tmp_path, platform_json("Notebok", "Load", ID_A))

    with pytest.raises(UnknownItemType) as raised:
        read(source)

    assert raised.value.subject == platform
    assert raised.value.field == "metadata.type"
    assert "'Notebok'" in raised.value.message
    assert "'Notebook'" in raised.value.message


def test_a_logical_id_that_is_not_a_guid_is_named(tmp_path: Path) -> None:
    source, platform = bad_platform(tmp_path, platform_json("Notebook", "Load", "load-sales-1"))

    with pytest.raises(InvalidSource) as raised:
        read(source)

    assert raised.value.subject == platform
    assert raised.value.field == "config.logicalId"
    assert "'load-sales-1' is not a GUID" in raised.value.message


def test_two_items_with_one_logical_id_name_both_files(tmp_path: Path) -> None:
    write_item(tmp_path, "", "Notebook", "Alpha", ID_A)
    write_item(tmp_path, "", "Notebook", "Beta", ID_A)
    root = tmp_path.as_posix()

    with pytest.raises(DuplicateItem) as raised:
        read(tmp_path)

    # Item folders are read in name order, so Beta is the second to claim the id.
    assert raised.value.subject == f"{root}/Beta.Notebook/.platform"
    assert raised.value.field == "config.logicalId"
    assert f"{root}/Alpha.Notebook/.platform" in raised.value.message


def test_two_items_with_one_type_and_name_are_an_error(tmp_path: Path) -> None:
    write_item(tmp_path, "A", "Notebook", "Load", ID_A)
    write_item(tmp_path, "B", "Notebook", "Load", ID_B)
    root = tmp_path.as_posix()

    with pytest.raises(DuplicateItem) as raised:
        read(tmp_path)

    assert raised.value.subject == f"{root}/B/Load.Notebook/.platform"
    assert raised.value.field == "metadata.displayName"
    assert f"{root}/A/Load.Notebook/.platform" in raised.value.message


def test_errors_name_files_relative_to_the_source_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad_platform(tmp_path, platform_json("Notebook", "Load", "nope"))
    monkeypatch.chdir(tmp_path)

    with pytest.raises(InvalidSource) as raised:
        read("ws")

    assert str(raised.value) == "ws/Load.Notebook/.platform, field 'config.logicalId': 'nope' is not a GUID"


def test_a_missing_source_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(InvalidSource) as raised:
        read(missing)

    assert raised.value.subject == str(missing)
    assert "does not exist" in raised.value.message


def test_a_file_as_source_folder_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "workspace.zip"
    file.write_bytes(b"PK")

    with pytest.raises(InvalidSource) as raised:
        read(file)

    assert raised.value.subject == str(file)
    assert "not a directory" in raised.value.message


def test_a_source_folder_without_items_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("nothing here\n", "utf-8")

    with pytest.raises(InvalidSource) as raised:
        read(tmp_path)

    assert raised.value.subject == str(tmp_path)
    assert "no items" in raised.value.message


def test_an_item_folder_given_as_source_is_an_error(tmp_path: Path) -> None:
    item_dir = write_item(tmp_path, "", "Notebook", "Load", ID_A)

    with pytest.raises(InvalidSource) as raised:
        read(item_dir)

    assert raised.value.subject == str(item_dir)
    assert "item folder" in raised.value.message


# --- the in-memory reader answers the same way -------------------------------------------------


def test_the_in_memory_reader_returns_a_copy_of_its_workspace() -> None:
    example = read(EXAMPLE)
    reader = InMemorySourceReader(workspaces={"src": example}, configs={}, parameters={})

    first = reader.read_workspace("src")
    first.add(Item(ItemKey("Notebook", "Added Later")))
    second = reader.read_workspace("src")

    assert [i.key for i in second] == [i.key for i in example]
    assert second.origin(ItemKey("Notebook", "Load Sales")) == example.origin(ItemKey("Notebook", "Load Sales"))


def test_the_in_memory_reader_raises_the_same_errors_for_unknown_paths() -> None:
    reader = InMemorySourceReader(workspaces={}, configs={}, parameters={})

    with pytest.raises(InvalidSource) as source_error:
        reader.read_workspace("missing")
    with pytest.raises(InvalidConfiguration) as config_error:
        reader.read_release_config("missing.yaml")
    rules = reader.read_parameters("missing.yml")

    assert source_error.value.subject == "missing"
    assert config_error.value.subject == "missing.yaml"
    assert rules.find_replace == () and rules.source == "missing.yml"


def test_an_item_of_an_unknown_type_is_set_aside_with_its_error(tmp_path: Path) -> None:
    source = tmp_path / "ws"
    write_item(source, "", "Notebook", "Load", ID_A, {"notebook-content.py": b"# Fabric notebook source\n"})
    write_item(source, "Legacy", "Gadget", "Old", ID_B, {"gadget.json": b"{}"})

    workspace = read(source)

    assert [str(i.key) for i in workspace] == ["Load.Notebook"]
    (unknown,) = workspace.unrecognised
    assert (str(unknown.key), unknown.folder) == ("Old.Gadget", "Legacy")
    assert unknown.error.subject == (source / "Legacy" / "Old.Gadget" / ".platform").as_posix()
    assert unknown.error.field == "metadata.type"
    assert "unknown item type 'Gadget'" in unknown.error.message
