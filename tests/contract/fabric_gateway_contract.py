"""What every `FabricGateway` must do, whatever it talks to.

Subclasses provide the `gateway` fixture (a fresh, empty tenant per test). Only the port's methods
and the application's error types are used here, so an HTTP gateway against the emulator runs the
very same checks as the in-process one.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import pytest

from fabctl.application.errors import GatewayError, ItemConflict, ItemNotFound
from fabctl.application.ports import FabricGateway, RemoteFolder, RemoteItem, WorkspaceInfo
from fabctl.domain.definition import DefinitionPart, ItemDefinition

UNKNOWN_ID = "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"
NOTEBOOK = ItemDefinition.of(
    [DefinitionPart.from_text("notebook-content.py", "# Fabric notebook source\nprint('hi')\n")]
)
MIRRORING = ItemDefinition.of([DefinitionPart.from_text("mirroring.json", '{"properties": {}}\n')])
VARIABLE_LIBRARY = ItemDefinition.of(
    [
        DefinitionPart.from_text("variables.json", '{"variables": [{"name": "stage", "value": "dev"}]}'),
        DefinitionPart.from_text("settings.json", '{"valueSetsOrder": ["prod"]}'),
        DefinitionPart.from_text("valueSets/prod.json", '{"name": "prod", "variableOverrides": []}'),
    ]
)
ENVIRONMENT = ItemDefinition.of(
    [
        DefinitionPart.from_text("Setting/Sparkcompute.yml", "enable_native_execution_engine: false\n"),
        DefinitionPart.from_text("Libraries/PublicLibraries/environment.yml", "dependencies: []\n"),
    ]
)
# Every byte value, NULs and invalid UTF-8 included: nothing may decode or re-encode it.
BINARY = bytes(range(256)) + b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
REPORT = ItemDefinition.of(
    [
        DefinitionPart.from_text("definition.pbir", '{"version": "4.0"}'),
        DefinitionPart.from_text("report.json", '{"sections": []}'),
        DefinitionPart("StaticResources/RegisteredResources/logo.png", BINARY),
    ]
)


class FabricGatewayContract:
    @pytest.fixture
    def gateway(self) -> FabricGateway:
        raise NotImplementedError("subclasses provide a gateway over a fresh tenant")

    @pytest.fixture
    def workspace(self, gateway: FabricGateway) -> WorkspaceInfo:
        return gateway.create_workspace("Contract workspace")

    # --- workspaces ----------------------------------------------------------------------------

    def test_a_created_workspace_can_be_got_and_found_by_name(self, gateway: FabricGateway) -> None:
        created = gateway.create_workspace("Sales [Dev]")

        assert created.name == "Sales [Dev]"
        assert created.id
        assert gateway.get_workspace(created.id) == created
        assert gateway.find_workspace("Sales [Dev]") == created

    def test_a_workspace_created_without_a_capacity_gets_one(self, gateway: FabricGateway) -> None:
        created = gateway.create_workspace("No preference")

        assert created.capacity_id != ""
        assert gateway.get_workspace(created.id).capacity_id == created.capacity_id

    def test_finding_an_absent_workspace_gives_none(self, gateway: FabricGateway) -> None:
        gateway.create_workspace("Present")

        assert gateway.find_workspace("Absent") is None

    def test_getting_an_unknown_workspace_is_not_found(self, gateway: FabricGateway) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.get_workspace(UNKNOWN_ID)

        assert raised.value.error_code == "WorkspaceNotFound"
        assert raised.value.status == 404

    def test_workspace_names_are_unique(self, gateway: FabricGateway) -> None:
        first = gateway.create_workspace("Finance")

        with pytest.raises(ItemConflict) as raised:
            gateway.create_workspace("Finance")

        assert raised.value.error_code == "WorkspaceNameAlreadyExists"
        assert gateway.find_workspace("Finance") == first

    # --- items ---------------------------------------------------------------------------------

    def test_a_created_item_is_listed(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        created = gateway.create_item(
            workspace.id, "Notebook", "Load sales", description="Nightly", definition=NOTEBOOK
        )

        assert created == RemoteItem(created.id, "Notebook", "Load sales", "Nightly", None)
        assert gateway.list_items(workspace.id) == [created]

    def test_an_item_without_description_has_an_empty_one(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        gateway.create_item(workspace.id, "Notebook", "Plain", definition=NOTEBOOK)

        [listed] = gateway.list_items(workspace.id)
        assert listed.description == ""

    def test_an_item_can_be_created_from_a_creation_payload(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        created = gateway.create_item(workspace.id, "Lakehouse", "Bronze", creation_payload={"enableSchemas": True})

        assert (created.type, created.name) == ("Lakehouse", "Bronze")
        assert gateway.list_items(workspace.id) == [created]

    def test_items_are_listed_only_in_their_workspace(self, gateway: FabricGateway) -> None:
        dev = gateway.create_workspace("Dev")
        prod = gateway.create_workspace("Prod")
        in_dev = gateway.create_item(dev.id, "Notebook", "Only in dev", definition=NOTEBOOK)

        assert gateway.list_items(dev.id) == [in_dev]
        assert gateway.list_items(prod.id) == []
        with pytest.raises(ItemNotFound):
            gateway.get_definition(prod.id, in_dev.id)

    def test_listing_items_of_an_unknown_workspace_is_not_found(self, gateway: FabricGateway) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.list_items(UNKNOWN_ID)

        assert raised.value.error_code == "WorkspaceNotFound"

    def test_item_names_are_unique_per_type(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        first = gateway.create_item(workspace.id, "Notebook", "Sales", definition=NOTEBOOK)

        with pytest.raises(ItemConflict) as raised:
            gateway.create_item(workspace.id, "Notebook", "Sales", definition=NOTEBOOK)
        other_type = gateway.create_item(workspace.id, "Lakehouse", "Sales")

        assert raised.value.error_code == "ItemDisplayNameAlreadyInUse"
        assert raised.value.status == 409
        assert sorted(gateway.list_items(workspace.id), key=lambda i: i.type) == [
            other_type,
            first,
        ]

    def test_a_report_needs_a_definition(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        with pytest.raises(GatewayError) as raised:
            gateway.create_item(workspace.id, "Report", "Sales report")

        assert not isinstance(raised.value, ItemNotFound | ItemConflict)
        assert raised.value.error_code == "MissingDefinition"
        assert raised.value.status == 400
        assert raised.value.message
        assert "MissingDefinition" in str(raised.value)
        assert gateway.list_items(workspace.id) == []

    def test_an_unknown_item_type_is_refused(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        with pytest.raises(GatewayError) as raised:
            gateway.create_item(workspace.id, "Spreadsheet", "Budget")

        assert raised.value.error_code == "InvalidItemType"
        assert gateway.list_items(workspace.id) == []

    def test_an_item_is_renamed_and_described(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        item = gateway.create_item(workspace.id, "Notebook", "Draft", definition=NOTEBOOK)

        gateway.update_item(workspace.id, item.id, name="Final", description="Reviewed")

        assert gateway.list_items(workspace.id) == [RemoteItem(item.id, "Notebook", "Final", "Reviewed", None)]

    def test_renaming_onto_a_taken_name_is_a_conflict(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        taken = gateway.create_item(workspace.id, "Notebook", "Taken", definition=NOTEBOOK)
        other = gateway.create_item(workspace.id, "Notebook", "Other", definition=NOTEBOOK)

        with pytest.raises(ItemConflict):
            gateway.update_item(workspace.id, other.id, name="Taken", description="")

        assert {i.name for i in gateway.list_items(workspace.id)} == {taken.name, "Other"}

    def test_updating_an_unknown_item_is_not_found(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.update_item(workspace.id, UNKNOWN_ID, name="Ghost", description="")

        assert raised.value.error_code == "ItemNotFound"

    def test_a_deleted_item_is_gone(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        kept = gateway.create_item(workspace.id, "Notebook", "Kept", definition=NOTEBOOK)
        deleted = gateway.create_item(workspace.id, "Notebook", "Deleted", definition=NOTEBOOK)

        gateway.delete_item(workspace.id, deleted.id)

        assert gateway.list_items(workspace.id) == [kept]
        with pytest.raises(ItemNotFound):
            gateway.get_definition(workspace.id, deleted.id)
        with pytest.raises(ItemNotFound):
            gateway.delete_item(workspace.id, deleted.id)

    # --- definitions ---------------------------------------------------------------------------

    def test_a_definition_round_trips_byte_for_byte(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        report = gateway.create_item(workspace.id, "Report", "Sales report", definition=REPORT)

        stored = gateway.get_definition(workspace.id, report.id)

        assert stored.content_parts == REPORT.content_parts
        logo = stored.part("StaticResources/RegisteredResources/logo.png")
        assert logo is not None
        assert logo.payload == BINARY

    def test_a_definition_always_comes_with_platform_metadata(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        item = gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK)

        platform = gateway.get_definition(workspace.id, item.id).part(".platform")

        assert platform is not None
        metadata = json.loads(platform.payload)["metadata"]
        assert (metadata["type"], metadata["displayName"]) == ("Notebook", "Load")

    def test_updating_a_definition_replaces_its_parts(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        item = gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK)
        replacement = ItemDefinition.of(
            [
                DefinitionPart.from_text("notebook-content.py", "print('v2')\n"),
                DefinitionPart("resources/blob.bin", b"\x00\x01\x02"),
            ]
        )

        gateway.update_definition(workspace.id, item.id, replacement)

        assert gateway.get_definition(workspace.id, item.id).content_parts == replacement.parts

    def test_a_platform_part_in_an_update_does_not_rename(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        item = gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK)
        platform = json.dumps({"metadata": {"type": "Notebook", "displayName": "Renamed"}, "config": {}})
        with_platform = ItemDefinition.of([*NOTEBOOK.parts, DefinitionPart.from_text(".platform", platform)])

        gateway.update_definition(workspace.id, item.id, with_platform)

        assert [i.name for i in gateway.list_items(workspace.id)] == ["Load"]

    def test_updating_the_definition_of_an_unknown_item_is_not_found(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        with pytest.raises(ItemNotFound):
            gateway.update_definition(workspace.id, UNKNOWN_ID, NOTEBOOK)

    # --- folders -------------------------------------------------------------------------------

    def test_folders_are_created_and_listed(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        reports = gateway.create_folder(workspace.id, "Reports")
        archive = gateway.create_folder(workspace.id, "Archive", parent_id=reports.id)

        assert reports == RemoteFolder(reports.id, "Reports", None)
        assert archive == RemoteFolder(archive.id, "Archive", reports.id)
        assert sorted(gateway.list_folders(workspace.id), key=lambda f: f.name) == [
            archive,
            reports,
        ]

    def test_folder_names_are_unique_per_parent(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        first = gateway.create_folder(workspace.id, "Shared")
        nested = gateway.create_folder(workspace.id, "Shared", parent_id=first.id)

        with pytest.raises(ItemConflict) as raised:
            gateway.create_folder(workspace.id, "Shared")

        assert raised.value.error_code == "FolderDisplayNameAlreadyInUse"
        assert {f.id for f in gateway.list_folders(workspace.id)} == {first.id, nested.id}

    def test_a_folder_under_an_unknown_parent_is_not_found(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.create_folder(workspace.id, "Orphan", parent_id=UNKNOWN_ID)

        assert raised.value.error_code == "FolderNotFound"
        assert gateway.list_folders(workspace.id) == []

    def test_an_item_can_be_created_in_a_folder(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        folder = gateway.create_folder(workspace.id, "Ingest")

        item = gateway.create_item(workspace.id, "Notebook", "Load", definition=NOTEBOOK, folder_id=folder.id)

        assert item.folder_id == folder.id
        assert gateway.list_items(workspace.id) == [item]

    def test_an_item_in_an_unknown_folder_is_not_found(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        with pytest.raises(ItemNotFound) as raised:
            gateway.create_item(workspace.id, "Notebook", "Lost", definition=NOTEBOOK, folder_id=UNKNOWN_ID)

        assert raised.value.error_code == "FolderNotFound"
        assert gateway.list_items(workspace.id) == []

    def test_an_empty_folder_is_deleted(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        kept = gateway.create_folder(workspace.id, "Kept")
        deleted = gateway.create_folder(workspace.id, "Deleted")

        gateway.delete_folder(workspace.id, deleted.id)

        assert gateway.list_folders(workspace.id) == [kept]
        with pytest.raises(ItemNotFound) as raised:
            gateway.delete_folder(workspace.id, deleted.id)
        assert raised.value.error_code == "FolderNotFound"

    def test_a_folder_holding_an_item_or_a_folder_is_not_deleted(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        with_item = gateway.create_folder(workspace.id, "With item")
        gateway.create_item(workspace.id, "Notebook", "Inside", definition=NOTEBOOK, folder_id=with_item.id)
        with_folder = gateway.create_folder(workspace.id, "With folder")
        gateway.create_folder(workspace.id, "Child", parent_id=with_folder.id)

        codes = []
        for folder in (with_item, with_folder):
            with pytest.raises(GatewayError) as raised:
                gateway.delete_folder(workspace.id, folder.id)
            assert not isinstance(raised.value, ItemNotFound | ItemConflict)
            codes.append((raised.value.error_code, raised.value.status))

        assert codes == [("FolderNotEmpty", 400)] * 2
        assert len(gateway.list_folders(workspace.id)) == 3

    def test_an_item_moves_into_a_folder_and_back_to_the_root(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        folder = gateway.create_folder(workspace.id, "Moved here")
        item = gateway.create_item(workspace.id, "Notebook", "Mover")

        inside = gateway.move_item(workspace.id, item.id, folder.id)
        assert inside.folder_id == folder.id
        back = gateway.move_item(workspace.id, item.id, None)

        assert back.folder_id is None
        assert {i.id: i.folder_id for i in gateway.list_items(workspace.id)}[item.id] is None

    def test_a_lakehouse_sql_endpoint_is_a_connection_string_once_provisioned(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        lakehouse = gateway.create_item(workspace.id, "Lakehouse", "Endpointed")

        deadline = time.monotonic() + 10
        endpoint = gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpoint")
        while endpoint is None and time.monotonic() < deadline:
            time.sleep(0.1)
            endpoint = gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpoint")

        assert endpoint is not None and endpoint.strip() != ""

    def test_a_lakehouse_sql_endpoint_id_is_a_guid_of_its_own_once_provisioned(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        lakehouse = gateway.create_item(workspace.id, "Lakehouse", "Endpointed")

        endpoint_id = _once_provisioned(
            lambda: gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpointid")
        )

        assert uuid.UUID(endpoint_id) and endpoint_id not in (lakehouse.id, workspace.id)
        assert gateway.get_item_attribute(workspace.id, "Lakehouse", lakehouse.id, "sqlendpointid") == endpoint_id

    def test_an_eventhouse_query_service_uri_is_an_https_url_once_provisioned(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        eventhouse = gateway.create_item(workspace.id, "Eventhouse", "Events")

        uri = _once_provisioned(
            lambda: gateway.get_item_attribute(workspace.id, "Eventhouse", eventhouse.id, "queryserviceuri")
        )

        assert uri.startswith("https://") and len(uri) > len("https://")
        assert gateway.get_item_attribute(workspace.id, "Eventhouse", eventhouse.id, "queryserviceuri") == uri

    @pytest.mark.parametrize(
        ("item_type", "attribute"),
        [("Warehouse", "sqlendpoint"), ("SQLDatabase", "sqlendpoint"), ("MirroredDatabase", "sqlendpointid")],
    )
    def test_the_sql_endpoint_of_every_type_that_has_one_is_read_from_its_typed_route(
        self, gateway: FabricGateway, workspace: WorkspaceInfo, item_type: str, attribute: str
    ) -> None:
        definition = MIRRORING if item_type == "MirroredDatabase" else None  # Fabric requires one of a mirror
        item = gateway.create_item(workspace.id, item_type, "Served", definition=definition)

        value = _once_provisioned(lambda: gateway.get_item_attribute(workspace.id, item_type, item.id, attribute))

        assert value.strip() and item.id != value
        assert gateway.get_item_attribute(workspace.id, item_type, item.id, attribute) == value

    def test_provisioned_values_of_an_item_of_another_type_are_not_found(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        notebook = gateway.create_item(workspace.id, "Notebook", "Plain")

        with pytest.raises(ItemNotFound):
            gateway.get_item_attribute(workspace.id, "Lakehouse", notebook.id, "sqlendpointid")
        with pytest.raises(ItemNotFound):
            gateway.get_item_attribute(workspace.id, "Eventhouse", notebook.id, "queryserviceuri")

    # --- variable libraries ----------------------------------------------------------------------

    def test_a_variable_library_keeps_the_value_set_it_was_given(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        library = gateway.create_item(workspace.id, "VariableLibrary", "Vars", definition=VARIABLE_LIBRARY)
        first = gateway.get_active_value_set(workspace.id, library.id)

        gateway.set_active_value_set(workspace.id, library.id, "prod")

        assert first == "Default value set"
        assert gateway.get_active_value_set(workspace.id, library.id) == "prod"
        with pytest.raises(GatewayError):  # not a set of the library
            gateway.set_active_value_set(workspace.id, library.id, "staging")
        assert gateway.get_active_value_set(workspace.id, library.id) == "prod"

    # --- environments ----------------------------------------------------------------------------

    def test_an_environment_is_published_and_can_be_published_again_once_that_ended(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        environment = gateway.create_item(workspace.id, "Environment", "Spark", definition=ENVIRONMENT)

        gateway.publish_environment(workspace.id, environment.id)
        gateway.publish_environment(workspace.id, environment.id)  # the first has ended: not refused

        assert gateway.get_environment_publish_state(workspace.id, environment.id) == "Success"
        assert gateway.get_definition(workspace.id, environment.id).without_platform() == ENVIRONMENT

    def test_only_an_environment_is_published(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        notebook = gateway.create_item(workspace.id, "Notebook", "Plain", definition=NOTEBOOK)

        with pytest.raises(ItemNotFound):
            gateway.publish_environment(workspace.id, notebook.id)
        with pytest.raises(ItemNotFound):
            gateway.publish_environment(workspace.id, UNKNOWN_ID)
        with pytest.raises(ItemNotFound):
            gateway.get_environment_publish_state(workspace.id, notebook.id)

    def test_a_notebook_job_runs_to_completion(self, gateway: FabricGateway, workspace: WorkspaceInfo) -> None:
        notebook = gateway.create_item(workspace.id, "Notebook", "Smoke", definition=NOTEBOOK)

        run = gateway.run_item_job(workspace.id, notebook.id, "RunNotebook", 30)

        assert (run.status, run.timed_out, run.failure_reason) == ("Completed", False, "")
        assert uuid.UUID(run.instance_id)

    def test_a_job_is_refused_for_an_unknown_item_or_a_wrong_job_type(
        self, gateway: FabricGateway, workspace: WorkspaceInfo
    ) -> None:
        notebook = gateway.create_item(workspace.id, "Notebook", "Smoke", definition=NOTEBOOK)

        with pytest.raises(ItemNotFound):
            gateway.run_item_job(workspace.id, UNKNOWN_ID, "RunNotebook", 30)
        with pytest.raises(GatewayError) as wrong:
            gateway.run_item_job(workspace.id, notebook.id, "Pipeline", 30)
        assert wrong.value.error_code == "InvalidJobType"


def _once_provisioned(read: Callable[[], str | None], timeout_s: float = 10) -> str:
    """What `read` gives once it gives something (Fabric provisions these a while after creating the item)."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while value is None and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    assert value is not None, f"still not provisioned after {timeout_s}s"
    return value
