"""Workspace invariants (unique keys, unique logical ids), folders, and LogicalId validation."""

from __future__ import annotations

import pytest

from fabctl.domain.errors import DuplicateItem, InvalidSource, UnknownItemType
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.workspace import UnrecognisedItem, Workspace

GUID_A = "0f8fad5b-d9cb-469f-a165-70867728950e"
GUID_B = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def item(name: str, item_type: str = "Notebook", logical_id: str | None = None, folder: str = "") -> Item:
    return Item(
        ItemKey(item_type, name),
        logical_id=LogicalId(logical_id) if logical_id else None,
        folder=folder,
    )


def test_duplicate_key_names_both_origins() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Load", logical_id=GUID_A), origin="etl/Load.Notebook")

    with pytest.raises(DuplicateItem) as caught:
        workspace.add(item("Load", logical_id=GUID_B), origin="archive/Load.Notebook")

    assert caught.value.subject == "archive/Load.Notebook"
    assert "etl/Load.Notebook" in caught.value.message
    assert caught.value.field == "metadata.displayName"


def test_duplicate_logical_id_names_both_origins() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Load", logical_id=GUID_A), origin="etl/Load.Notebook")

    with pytest.raises(DuplicateItem) as caught:
        workspace.add(item("Copy of Load", logical_id=GUID_A), origin="etl/Copy of Load.Notebook")

    assert caught.value.subject == "etl/Copy of Load.Notebook"
    assert "etl/Load.Notebook" in caught.value.message
    assert caught.value.field == "config.logicalId"


def test_logical_ids_are_compared_case_insensitively() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Load", logical_id=GUID_A), origin="etl/Load.Notebook")

    with pytest.raises(DuplicateItem) as caught:
        workspace.add(item("Clean", logical_id=GUID_A.upper()), origin="etl/Clean.Notebook")

    assert caught.value.field == "config.logicalId"


def test_a_refused_item_leaves_the_workspace_as_it_was() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Load", logical_id=GUID_A), origin="etl/Load.Notebook")

    with pytest.raises(DuplicateItem):
        workspace.add(item("Clean", logical_id=GUID_A), origin="etl/Clean.Notebook")

    assert len(workspace) == 1
    assert ItemKey("Notebook", "Clean") not in workspace
    assert workspace.by_logical_id(LogicalId(GUID_A)) == item("Load", logical_id=GUID_A)


def test_same_name_with_another_type_is_not_a_duplicate() -> None:
    workspace = Workspace.of("dev", [item("Sales", "Report"), item("Sales", "SemanticModel")])

    assert len(workspace) == 2
    assert [i.key for i in workspace] == [
        ItemKey("Report", "Sales"),
        ItemKey("SemanticModel", "Sales"),
    ]


def test_an_item_without_origin_is_named_by_its_key() -> None:
    workspace = Workspace.of("dev", [item("Load")])

    with pytest.raises(DuplicateItem) as caught:
        workspace.add(item("Load"))

    assert caught.value.subject == "Load.Notebook"
    assert "Load.Notebook" in caught.value.message
    assert workspace.origin(ItemKey("Notebook", "Load")) == "Load.Notebook"


def test_lookup_by_key_and_by_logical_id() -> None:
    load = item("Load", logical_id=GUID_A)
    workspace = Workspace.of("dev", [load, item("Clean", logical_id=GUID_B)])

    assert workspace.get(ItemKey("Notebook", "Load")) == load
    assert workspace.get(ItemKey("Notebook", "Missing")) is None
    assert workspace.by_logical_id(LogicalId(GUID_A.upper())) == load
    assert workspace.by_logical_id(LogicalId("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa")) is None


def test_folders_lists_every_folder_parents_before_children() -> None:
    workspace = Workspace.of(
        "dev",
        [
            item("A", folder="Sales/Reports/Q1"),
            item("B", folder="Ops"),
            item("C", folder="Sales"),
            item("D", folder="Archive/2023"),
            item("E", folder=""),
            item("F", folder="/Ops/Daily/"),
        ],
    )

    folders = workspace.folders

    assert sorted(folders) == sorted(
        [
            "Sales",
            "Sales/Reports",
            "Sales/Reports/Q1",
            "Ops",
            "Ops/Daily",
            "Archive",
            "Archive/2023",
        ]
    )
    for path in folders:
        if "/" in path:
            parent = path.rsplit("/", 1)[0]
            assert folders.index(parent) < folders.index(path), (parent, path)


def test_folders_is_empty_when_every_item_is_at_the_root() -> None:
    assert Workspace.of("dev", [item("A"), item("B")]).folders == []


def test_logical_id_is_lower_cased() -> None:
    logical_id = LogicalId("0F8FAD5B-D9CB-469F-A165-70867728950E")

    assert logical_id.value == GUID_A
    assert str(logical_id) == GUID_A
    assert logical_id == LogicalId(GUID_A)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-a-guid",
        "0f8fad5bd9cb469fa16570867728950e",  # no dashes
        "{0f8fad5b-d9cb-469f-a165-70867728950e}",  # braces
        "0f8fad5b-d9cb-469f-a165-70867728950",  # one digit short
        "0f8fad5b-d9cb-469f-a165-70867728950e0",  # one digit long
        "0f8fad5b-d9cb-469f-a165-70867728950g",  # not hex
        " 0f8fad5b-d9cb-469f-a165-70867728950e",  # leading space
    ],
)
def test_logical_id_rejects_non_guids(value: str) -> None:
    with pytest.raises(InvalidSource) as caught:
        LogicalId(value)

    assert caught.value.field == "config.logicalId"


def test_logical_id_rejects_a_guid_followed_by_a_newline() -> None:
    # `$` in a Python regex also matches before a final newline; a GUID with "\n" is not a GUID.
    with pytest.raises(InvalidSource):
        LogicalId(GUID_A + "\n")


def test_names_that_differ_only_in_case_are_one_name_per_type() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Load Sales", logical_id=GUID_A), origin="etl/Load Sales.Notebook/.platform")

    with pytest.raises(DuplicateItem) as caught:
        workspace.add(item("LOAD sales", logical_id=GUID_B), origin="etl/LOAD sales.Notebook/.platform")

    assert caught.value.subject == "etl/LOAD sales.Notebook/.platform"
    assert "etl/Load Sales.Notebook/.platform" in caught.value.message
    assert caught.value.field == "metadata.displayName"
    assert [i.name for i in workspace] == ["Load Sales"]


def test_names_that_differ_only_in_case_may_be_of_two_types() -> None:
    workspace = Workspace("dev")
    workspace.add(item("Sales", "Lakehouse", logical_id=GUID_A))
    workspace.add(item("SALES", "Notebook", logical_id=GUID_B))

    assert len(workspace) == 2


def test_an_item_set_aside_is_refused_only_when_selected() -> None:
    workspace = Workspace("dev")
    error = UnknownItemType("unknown item type 'Gadget'", subject="Old.Gadget/.platform", field="metadata.type")
    workspace.set_aside(UnrecognisedItem(ItemKey("Gadget", "Old"), "Legacy", error))

    workspace.refuse_unrecognised(lambda unknown: unknown.folder != "Legacy")  # left out: no error
    with pytest.raises(UnknownItemType) as caught:
        workspace.refuse_unrecognised()

    assert caught.value is error
    assert len(workspace) == 0
