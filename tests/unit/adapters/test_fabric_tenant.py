"""FabricTenant: the Fabric rules it enforces, and how it keeps state in SQLite."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.adapters.fabric.tenant_records import (
    DEFAULT_CAPACITY_ID,
    ItemRecord,
    RoleAssignmentRecord,
    WorkspaceRecord,
)
from fabctl.domain.definition import DefinitionPart, ItemDefinition

SCHEMA = "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
NOTEBOOK = [DefinitionPart.from_text("notebook-content.py", "print('hi')\n")]
REPORT = [
    DefinitionPart.from_text("definition.pbir", "{}"),
    DefinitionPart.from_text("report.json", "{}"),
]


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sequential_ids(prefix: str = "id") -> Callable[[], str]:
    counter = iter(range(1, 10_000))
    return lambda: f"{prefix}-{next(counter):03d}"


@pytest.fixture
def tenant() -> Iterator[FabricTenant]:
    with FabricTenant.in_memory(new_id=sequential_ids()) as tenant:
        yield tenant


@pytest.fixture
def ws(tenant: FabricTenant) -> str:
    workspace_id: str = tenant.create_workspace("Dev").id
    return workspace_id


def refused(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(TenantError) as raised:
        call()
    return raised.value.status, raised.value.error_code


def platform_of(tenant: FabricTenant, ws: str, item_id: str) -> dict[str, object]:
    part = tenant.get_definition(ws, item_id).part(".platform")
    assert part is not None
    document: dict[str, object] = json.loads(part.payload)
    return document


# --- storage -----------------------------------------------------------------------------------


def test_a_file_tenant_is_shared_by_every_instance_opened_on_it(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "tenant.db"
    with FabricTenant.at(path) as first, FabricTenant.at(path) as second:
        ws = first.create_workspace("Dev").id
        item = first.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)
        second.update_item(ws, item.id, description="written by the second")

        assert first.get_item(ws, item.id).description == "written by the second"

    with FabricTenant.at(path) as reopened:
        assert reopened.list_items(ws) == [ItemRecord(item.id, ws, "Notebook", "Load", "written by the second")]
        assert reopened.get_definition(ws, item.id).content_parts == tuple(NOTEBOOK)


def test_a_file_tenant_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "tenant.db"
    FabricTenant.at(path).close()

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_threads_sharing_a_tenant_lose_no_write(tmp_path: Path) -> None:
    with FabricTenant.at(tmp_path / "tenant.db") as tenant:
        ws = tenant.create_workspace("Busy").id

        def create(worker: int) -> None:
            for n in range(15):
                tenant.create_item(ws, "Notebook", f"w{worker}-{n}", definition=NOTEBOOK)

        threads = [threading.Thread(target=create, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len({i.display_name for i in tenant.list_items(ws)}) == 8 * 15


_WRITER = """
import sys
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.domain.definition import DefinitionPart

tenant = FabricTenant.at(sys.argv[1])
ws = tenant.find_workspace("Crash").id
for n in range(100_000):
    parts = [DefinitionPart.from_text("a.py", "a" * 5000), DefinitionPart.from_text("b.py", "b")]
    tenant.create_item(ws, "Notebook", f"item-{n}", definition=parts)
    print(f"item-{n}", flush=True)
"""


def test_a_killed_writer_leaves_exactly_the_writes_that_returned(tmp_path: Path) -> None:
    path = tmp_path / "tenant.db"
    with FabricTenant.at(path) as tenant:
        ws = tenant.create_workspace("Crash").id
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    returned = [writer.stdout.readline().strip() for _ in range(30)]
    writer.kill()
    writer.wait()
    returned += [line.strip() for line in writer.stdout]

    with FabricTenant.at(path) as tenant:
        items = tenant.list_items(ws)
        # Only a write that was committed but not yet reported may be extra.
        names = [i.display_name for i in items]
        assert names[: len(returned)] == returned
        assert len(names) - len(returned) <= 1
        for item in items:
            paths = [p.path for p in tenant.get_definition(ws, item.id).content_parts]
            assert paths == ["a.py", "b.py"]


# --- workspaces, capacities and roles ---------------------------------------------------------


def test_a_workspace_gets_the_default_capacity_and_its_creator_as_admin() -> None:
    with FabricTenant.in_memory(principal="alice@contoso.com", new_id=lambda: "ws-1") as tenant:
        created = tenant.create_workspace("Dev", description="Development")

        assert created == WorkspaceRecord("ws-1", "Dev", "Development", DEFAULT_CAPACITY_ID)
        assert tenant.list_workspaces() == [created]
        assert [c.display_name for c in tenant.list_capacities()] == ["Local capacity"]
        assert tenant.list_role_assignments("ws-1") == [RoleAssignmentRecord("alice@contoso.com", "User", "Admin")]


def test_workspace_names_are_unique_ignoring_case(tenant: FabricTenant) -> None:
    dev = tenant.create_workspace("Dev")

    assert refused(lambda: tenant.create_workspace("DEV")) == (409, "WorkspaceNameAlreadyExists")
    assert tenant.find_workspace("dev") == dev


def test_a_workspace_is_renamed_and_described(tenant: FabricTenant) -> None:
    dev = tenant.create_workspace("Dev")
    tenant.create_workspace("Test")

    renamed = tenant.update_workspace(dev.id, display_name="Development", description="d")

    assert renamed == WorkspaceRecord(dev.id, "Development", "d", DEFAULT_CAPACITY_ID)
    assert tenant.find_workspace("Dev") is None
    assert refused(lambda: tenant.update_workspace(dev.id, display_name="test")) == (
        409,
        "WorkspaceNameAlreadyExists",
    )


def test_a_deleted_workspace_takes_everything_with_it(tenant: FabricTenant, ws: str) -> None:
    outer = tenant.create_folder(ws, "Outer")
    inner = tenant.create_folder(ws, "Inner", parent_id=outer.id)
    tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK, folder_id=inner.id)
    kept = tenant.create_workspace("Kept")

    tenant.delete_workspace(ws)

    assert tenant.list_workspaces() == [kept]
    assert refused(lambda: tenant.list_items(ws)) == (404, "WorkspaceNotFound")
    assert refused(lambda: tenant.delete_workspace(ws)) == (404, "WorkspaceNotFound")


def test_items_need_a_capacity(tenant: FabricTenant, ws: str) -> None:
    tenant.unassign_from_capacity(ws)

    assert tenant.get_workspace(ws).capacity_id is None
    assert refused(lambda: tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)) == (
        400,
        "WorkspaceHasNoCapacityAssigned",
    )
    tenant.assign_to_capacity(ws, DEFAULT_CAPACITY_ID)
    assert tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK).display_name == "Load"


def test_an_unknown_capacity_is_not_found(tenant: FabricTenant, ws: str) -> None:
    unknown = "1a2b3c4d-0000-4000-8000-000000000001"

    assert refused(lambda: tenant.assign_to_capacity(ws, unknown)) == (404, "CapacityNotFound")
    assert refused(lambda: tenant.create_workspace("Other", capacity_id=unknown)) == (
        404,
        "CapacityNotFound",
    )
    assert [w.display_name for w in tenant.list_workspaces()] == ["Dev"]


def test_role_assignments_accept_any_case_and_echo_the_canonical_one(tenant: FabricTenant, ws: str) -> None:
    added = tenant.add_role_assignment(ws, "bob-id", "serviceprincipal", "member")

    assert added == RoleAssignmentRecord("bob-id", "ServicePrincipal", "Member")
    assert added.to_fabric() == {
        "id": "bob-id",
        "principal": {"id": "bob-id", "type": "ServicePrincipal"},
        "role": "Member",
    }
    assert tenant.list_role_assignments(ws) == [
        RoleAssignmentRecord("local-user", "User", "Admin"),
        added,
    ]


def test_invalid_or_repeated_role_assignments_are_refused(tenant: FabricTenant, ws: str) -> None:
    assert refused(lambda: tenant.add_role_assignment(ws, "x", "User", "Owner")) == (
        400,
        "InvalidInput",
    )
    assert refused(lambda: tenant.add_role_assignment(ws, "local-user", "User", "Viewer")) == (
        409,
        "PrincipalAlreadyHasWorkspaceRolePermissions",
    )
    assert [r.role for r in tenant.list_role_assignments(ws)] == ["Admin"]


# --- items -------------------------------------------------------------------------------------


def test_item_creation_rules(tenant: FabricTenant, ws: str) -> None:
    platform_only = [DefinitionPart.from_text(".platform", "{}")]

    assert refused(lambda: tenant.create_item(ws, "Report", "R")) == (400, "MissingDefinition")
    assert refused(lambda: tenant.create_item(ws, "Report", "R", definition=platform_only)) == (
        400,
        "MissingDefinition",
    )
    assert refused(lambda: tenant.create_item(ws, "Sheet", "S")) == (400, "InvalidItemType")
    assert refused(lambda: tenant.create_item(ws, "Lakehouse", "L", definition=[], creation_payload={})) == (
        400,
        "RequestWithDefinitionAndCreationPayloadNotSupported",
    )
    assert refused(lambda: tenant.create_item(ws, "Notebook", "N", definition=NOTEBOOK * 2)) == (
        400,
        "InvalidDefinitionParts",
    )
    assert refused(lambda: tenant.create_item(ws, "Notebook", "  ")) == (400, "InvalidInput")
    assert refused(lambda: tenant.create_item("nowhere", "Notebook", "N")) == (
        404,
        "WorkspaceNotFound",
    )
    assert tenant.list_items(ws) == []


def test_item_names_are_unique_per_type_ignoring_case(tenant: FabricTenant, ws: str) -> None:
    tenant.create_item(ws, "Notebook", "Sales", definition=NOTEBOOK)
    tenant.create_item(ws, "Lakehouse", "sales")
    other = tenant.create_item(ws, "Notebook", "Other", definition=NOTEBOOK)

    assert refused(lambda: tenant.create_item(ws, "Notebook", "SALES")) == (
        409,
        "ItemDisplayNameAlreadyInUse",
    )
    assert refused(lambda: tenant.update_item(ws, other.id, display_name="sAles")) == (
        409,
        "ItemDisplayNameAlreadyInUse",
    )
    # A change of case is a rename of the item onto itself, not a conflict.
    assert tenant.update_item(ws, other.id, display_name="OTHER").display_name == "OTHER"


def test_items_are_listed_by_type_and_in_creation_order(tenant: FabricTenant, ws: str) -> None:
    b = tenant.create_item(ws, "Notebook", "B", definition=NOTEBOOK)
    tenant.create_item(ws, "Lakehouse", "L")
    a = tenant.create_item(ws, "Notebook", "A", definition=NOTEBOOK)

    assert tenant.list_items(ws, "Notebook") == [b, a]
    assert refused(lambda: tenant.list_items(ws, "Sheet")) == (400, "InvalidItemType")


def test_items_move_between_folders(tenant: FabricTenant, ws: str) -> None:
    folder = tenant.create_folder(ws, "Ingest")
    item = tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)

    assert tenant.move_item(ws, item.id, folder.id).folder_id == folder.id
    assert tenant.get_item(ws, item.id).to_fabric()["folderId"] == folder.id
    assert tenant.move_item(ws, item.id, None).folder_id is None
    assert "folderId" not in tenant.get_item(ws, item.id).to_fabric()
    assert refused(lambda: tenant.move_item(ws, item.id, "nowhere")) == (404, "FolderNotFound")


def test_definitionless_types_have_no_definition(tenant: FabricTenant, ws: str) -> None:
    warehouse = tenant.create_item(ws, "Warehouse", "DW", creation_payload={"collation": "x"})

    assert refused(lambda: tenant.get_definition(ws, warehouse.id)) == (
        400,
        "OperationNotSupportedForItem",
    )
    assert refused(lambda: tenant.update_definition(ws, warehouse.id, NOTEBOOK)) == (
        400,
        "OperationNotSupportedForItem",
    )


# --- definitions and .platform ---------------------------------------------------------------


def test_a_platform_part_is_generated_from_the_current_metadata(tenant: FabricTenant, ws: str) -> None:
    item = tenant.create_item(ws, "Notebook", "Load", "Loads sales", definition=NOTEBOOK)
    tenant.update_item(ws, item.id, display_name="Load v2")

    assert platform_of(tenant, ws, item.id) == {
        "$schema": SCHEMA,
        "metadata": {"type": "Notebook", "displayName": "Load v2", "description": "Loads sales"},
        "config": {"version": "2.0", "logicalId": "00000000-0000-0000-0000-000000000000"},
    }
    assert [p.path for p in tenant.get_definition(ws, item.id).parts] == [
        ".platform",
        "notebook-content.py",
    ]


def test_a_stored_platform_part_is_returned_verbatim(tenant: FabricTenant, ws: str) -> None:
    platform = DefinitionPart.from_text(".platform", '{"config": {"logicalId": "kept"}}\r\n')
    item = tenant.create_item(ws, "Notebook", "Load", definition=[*NOTEBOOK, platform])

    assert tenant.get_definition(ws, item.id) == ItemDefinition((*NOTEBOOK, platform))


def test_update_metadata_applies_the_platform_names(tenant: FabricTenant, ws: str) -> None:
    item = tenant.create_item(ws, "Notebook", "Load", "old", definition=NOTEBOOK)
    platform = DefinitionPart.from_text(
        ".platform", json.dumps({"metadata": {"displayName": "Loader", "description": "new"}})
    )

    tenant.update_definition(ws, item.id, [platform, *NOTEBOOK])
    unchanged = tenant.get_item(ws, item.id)
    tenant.update_definition(ws, item.id, [platform, *NOTEBOOK], update_metadata=True)

    assert (unchanged.display_name, unchanged.description) == ("Load", "old")
    assert tenant.get_item(ws, item.id) == ItemRecord(item.id, ws, "Notebook", "Loader", "new")
    assert tenant.get_definition(ws, item.id).part(".platform") == platform


def test_a_refused_metadata_update_leaves_the_definition_unchanged(tenant: FabricTenant, ws: str) -> None:
    tenant.create_item(ws, "Notebook", "Taken", definition=NOTEBOOK)
    item = tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)
    platform = DefinitionPart.from_text(".platform", '{"metadata": {"displayName": "Taken"}}')
    replacement = [platform, DefinitionPart.from_text("notebook-content.py", "changed")]

    assert refused(lambda: tenant.update_definition(ws, item.id, replacement, update_metadata=True)) == (
        409,
        "ItemDisplayNameAlreadyInUse",
    )
    assert tenant.get_definition(ws, item.id).content_parts == tuple(NOTEBOOK)
    assert tenant.get_item(ws, item.id).display_name == "Load"


def test_an_unreadable_platform_part_is_refused_with_update_metadata(tenant: FabricTenant, ws: str) -> None:
    item = tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)
    broken = DefinitionPart.from_text(".platform", "not json")

    assert refused(lambda: tenant.update_definition(ws, item.id, [broken], update_metadata=True)) == (
        400,
        "InvalidPlatformFile",
    )
    tenant.update_definition(ws, item.id, [broken])  # without the flag it is only stored
    assert tenant.get_definition(ws, item.id).parts == (broken,)


# --- name reservation after delete --------------------------------------------------------------


def test_a_deleted_name_is_reserved_for_the_configured_window() -> None:
    clock = Clock()
    with FabricTenant.in_memory(name_reservation_seconds=300, clock=clock) as tenant:
        ws = tenant.create_workspace("Dev").id
        gone = tenant.create_item(ws, "Notebook", "Sales", definition=NOTEBOOK)
        other = tenant.create_item(ws, "Notebook", "Other", definition=NOTEBOOK)
        tenant.delete_item(ws, gone.id)

        with pytest.raises(TenantError) as raised:
            tenant.create_item(ws, "Notebook", "sales", definition=NOTEBOOK)
        clock.advance(299)
        assert refused(lambda: tenant.update_item(ws, other.id, display_name="Sales")) == (
            409,
            "ItemDisplayNameNotAvailableYet",
        )
        # Reserved per type: a Lakehouse may take the name at once.
        tenant.create_item(ws, "Lakehouse", "Sales")
        clock.advance(1)
        reused = tenant.create_item(ws, "Notebook", "Sales", definition=NOTEBOOK)

    error = raised.value
    assert (error.status, error.error_code, error.is_retriable) == (
        409,
        "ItemDisplayNameNotAvailableYet",
        True,
    )
    assert error.to_fabric()["isRetriable"] is True
    assert reused.display_name == "Sales"


def test_without_a_window_a_deleted_name_is_free_at_once(tenant: FabricTenant, ws: str) -> None:
    gone = tenant.create_item(ws, "Notebook", "Sales", definition=NOTEBOOK)
    tenant.delete_item(ws, gone.id)

    assert tenant.create_item(ws, "Notebook", "Sales", definition=NOTEBOOK).id != gone.id


# --- folders -----------------------------------------------------------------------------------


def test_folder_rules(tenant: FabricTenant, ws: str) -> None:
    outer = tenant.create_folder(ws, "Outer")
    inner = tenant.create_folder(ws, "Inner", parent_id=outer.id)
    tenant.create_folder(ws, "inner")  # the same name under another parent

    assert refused(lambda: tenant.create_folder(ws, "OUTER")) == (
        409,
        "FolderDisplayNameAlreadyInUse",
    )
    assert refused(lambda: tenant.create_folder(ws, "X", parent_id="nowhere")) == (
        404,
        "FolderNotFound",
    )
    with pytest.raises(TenantError) as raised:
        tenant.delete_folder(ws, outer.id)
    assert (raised.value.status, raised.value.error_code) == (400, "FolderNotEmpty")
    assert raised.value.related_resource == {"resourceId": outer.id, "resourceType": "Folder"}

    tenant.delete_folder(ws, inner.id)
    tenant.delete_folder(ws, outer.id)
    assert [f.display_name for f in tenant.list_folders(ws)] == ["inner"]


def test_folders_are_renamed_within_their_parent(tenant: FabricTenant, ws: str) -> None:
    tenant.create_folder(ws, "Taken")
    folder = tenant.create_folder(ws, "Draft")

    assert tenant.rename_folder(ws, folder.id, "draft").display_name == "draft"  # a change of case only
    assert refused(lambda: tenant.rename_folder(ws, folder.id, "TAKEN")) == (409, "FolderDisplayNameAlreadyInUse")
    assert refused(lambda: tenant.rename_folder(ws, "nowhere", "X")) == (404, "FolderNotFound")
    assert tenant.rename_folder(ws, folder.id, "Final") == tenant.get_folder(ws, folder.id)
    assert tenant.get_folder(ws, folder.id).display_name == "Final"


def test_folders_move_with_their_contents_but_never_into_themselves(tenant: FabricTenant, ws: str) -> None:
    outer = tenant.create_folder(ws, "Outer")
    inner = tenant.create_folder(ws, "Inner", parent_id=outer.id)
    target = tenant.create_folder(ws, "Target")
    tenant.create_folder(ws, "Outer", parent_id=target.id)
    item = tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK, folder_id=inner.id)

    assert refused(lambda: tenant.move_folder(ws, outer.id, inner.id)) == (400, "InvalidInput")
    assert refused(lambda: tenant.move_folder(ws, outer.id, outer.id)) == (400, "InvalidInput")
    assert refused(lambda: tenant.move_folder(ws, outer.id, target.id)) == (409, "FolderDisplayNameAlreadyInUse")
    moved = tenant.move_folder(ws, inner.id, target.id)
    assert moved.parent_id == target.id
    assert tenant.get_item(ws, item.id).folder_id == inner.id
    assert tenant.move_folder(ws, inner.id, None).parent_id is None


# --- lakehouse SQL endpoint ----------------------------------------------------------------------


def test_a_lakehouse_sql_endpoint_is_in_progress_until_the_delay_passes() -> None:
    clock = Clock()
    with FabricTenant.in_memory(sql_endpoint_seconds=20, clock=clock) as tenant:
        ws = tenant.create_workspace("Dev").id
        lakehouse = tenant.create_item(ws, "Lakehouse", "Bronze")
        notebook = tenant.create_item(ws, "Notebook", "Load", definition=NOTEBOOK)

        early = tenant.get_sql_endpoint(ws, lakehouse.id).to_fabric()
        clock.advance(20)
        ready = tenant.get_sql_endpoint(ws, lakehouse.id)
        assert refused(lambda: tenant.get_sql_endpoint(ws, notebook.id)) == (404, "ItemNotFound")

    assert early == {"id": None, "connectionString": None, "provisioningStatus": "InProgress"}
    assert ready.to_fabric() == {
        "id": ready.id,
        "connectionString": ready.connection_string,
        "provisioningStatus": "Success",
    }
    assert ready.id not in (lakehouse.id, notebook.id, ws)
    assert ready.connection_string


def test_an_eventhouse_query_service_is_not_there_until_the_delay_passes() -> None:
    clock = Clock()
    with FabricTenant.in_memory(sql_endpoint_seconds=20, clock=clock) as tenant:
        ws = tenant.create_workspace("Dev").id
        eventhouse = tenant.create_item(ws, "Eventhouse", "Events")
        lakehouse = tenant.create_item(ws, "Lakehouse", "Bronze")

        early = tenant.get_query_service(ws, eventhouse.id).to_fabric()
        clock.advance(20)
        ready = tenant.get_query_service(ws, eventhouse.id)
        assert refused(lambda: tenant.get_query_service(ws, lakehouse.id)) == (404, "ItemNotFound")

    assert early == {"queryServiceUri": None, "ingestionServiceUri": None}
    assert ready.ready and ready.to_fabric() == {
        "queryServiceUri": ready.query_service_uri,
        "ingestionServiceUri": ready.ingestion_service_uri,
    }
    assert ready.query_service_uri.startswith("https://") and ready.query_service_uri != ready.ingestion_service_uri


def test_without_a_delay_the_sql_endpoint_is_ready_at_once(tenant: FabricTenant, ws: str) -> None:
    lakehouse = tenant.create_item(ws, "Lakehouse", "Bronze")

    assert tenant.get_sql_endpoint(ws, lakehouse.id).ready


# --- clearing ----------------------------------------------------------------------------------


def test_clear_forgets_every_workspace_but_keeps_the_capacities(tmp_path: Path) -> None:
    with FabricTenant.at(tmp_path / "tenant.db", name_reservation_seconds=600) as tenant:
        ws = tenant.create_workspace("Dev").id
        folder = tenant.create_folder(ws, "F")
        gone = tenant.create_item(ws, "Notebook", "Reserved", definition=NOTEBOOK, folder_id=folder.id)
        tenant.create_item(ws, "Lakehouse", "Bronze")
        tenant.delete_item(ws, gone.id)
        capacities = tenant.list_capacities()

        tenant.clear()

        assert tenant.list_workspaces() == []
        assert tenant.list_capacities() == capacities
        assert tenant.snapshot()["workspaces"] == []
        again = tenant.create_workspace("Dev").id
        # The reservation went with the old workspace: the name is free in the new one.
        assert tenant.create_item(again, "Notebook", "Reserved", definition=NOTEBOOK).display_name == "Reserved"

    with sqlite3.connect(tmp_path / "tenant.db") as raw:
        counts = {
            t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("items", "folders", "definition_parts", "sql_endpoints", "reserved_names")
        }
    assert counts == {"items": 1, "folders": 0, "definition_parts": 1, "sql_endpoints": 0, "reserved_names": 0}


# --- snapshot ----------------------------------------------------------------------------------


def build(tenant: FabricTenant, order: list[str]) -> None:
    """The same content, created in the given order of steps."""
    ws = tenant.create_workspace("Dev", description="dev").id
    folder = tenant.create_folder(ws, "Reports")
    steps: dict[str, Callable[[], object]] = {
        "report": lambda: tenant.create_item(
            ws,
            "Report",
            "Sales",
            definition=[*REPORT, DefinitionPart("logo.png", b"\x89\x00")],
            folder_id=folder.id,
        ),
        "lakehouse": lambda: tenant.create_item(ws, "Lakehouse", "Bronze", creation_payload={"enableSchemas": True}),
        "prod": lambda: tenant.create_workspace("Prod"),
    }
    for step in order:
        steps[step]()


def test_the_snapshot_holds_everything_decoded() -> None:
    with FabricTenant.in_memory(new_id=sequential_ids()) as tenant:
        build(tenant, ["report", "lakehouse"])

        snapshot = tenant.snapshot()

    def platform(item_type: str, name: str) -> dict[str, str]:
        document = {
            "$schema": SCHEMA,
            "metadata": {"type": item_type, "displayName": name, "description": ""},
            "config": {"version": "2.0", "logicalId": "00000000-0000-0000-0000-000000000000"},
        }
        return {"path": ".platform", "text": json.dumps(document, indent=2) + "\n"}

    assert snapshot == {
        "capacities": [
            {
                "id": DEFAULT_CAPACITY_ID,
                "displayName": "Local capacity",
                "sku": "F2",
                "region": "West Europe",
                "state": "Active",
            }
        ],
        "workspaces": [
            {
                "id": "id-001",
                "displayName": "Dev",
                "description": "dev",
                "capacityId": DEFAULT_CAPACITY_ID,
                "roleAssignments": [
                    {
                        "id": "local-user",
                        "principal": {"id": "local-user", "type": "User"},
                        "role": "Admin",
                    }
                ],
                "folders": [{"path": "Reports", "id": "id-002"}],
                "items": [
                    {
                        "id": "id-004",
                        "type": "Lakehouse",
                        "displayName": "Bronze",
                        "description": "",
                        "creationPayload": {"enableSchemas": True},
                        "definition": {"parts": [platform("Lakehouse", "Bronze")]},
                    },
                    {
                        "id": "id-003",
                        "type": "Report",
                        "displayName": "Sales",
                        "description": "",
                        "folderId": "id-002",
                        "folder": "Reports",
                        "definition": {
                            "parts": [
                                platform("Report", "Sales"),
                                {"path": "definition.pbir", "text": "{}"},
                                {
                                    "path": "logo.png",
                                    "base64": base64.b64encode(b"\x89\x00").decode(),
                                },
                                {"path": "report.json", "text": "{}"},
                            ]
                        },
                    },
                ],
            }
        ],
    }


def test_snapshots_of_equal_tenants_are_byte_equal() -> None:
    def snapshot_json(order: list[str], ids: bool) -> str:
        with FabricTenant.in_memory(new_id=sequential_ids()) as tenant:
            build(tenant, order)
            return json.dumps(tenant.snapshot(ids=ids))

    assert snapshot_json(["report", "lakehouse", "prod"], ids=True) == snapshot_json(
        ["report", "lakehouse", "prod"], ids=True
    )
    # Other creation order, so other ids: equal once ids are left out.
    reordered = snapshot_json(["prod", "lakehouse", "report"], ids=False)
    assert reordered == snapshot_json(["report", "lakehouse", "prod"], ids=False)
    assert '"id-' not in reordered
    assert '"folder": "Reports"' in reordered
