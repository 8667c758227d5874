"""`FabricGateway` over a `FabricTenant` in this process: no network, the same rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace

from fabctl.adapters.fabric.item_attributes import attribute_of, typed_segment
from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.adapters.fabric.tenant_connections import credentials_digest
from fabctl.adapters.fabric.tenant_records import (
    ConnectionRecord,
    ConnectionSettings,
    FolderRecord,
    ItemConnectionRecord,
    ItemRecord,
    WorkspaceRecord,
)
from fabctl.application.errors import GatewayError, ItemConflict, ItemNotFound
from fabctl.application.ports import (
    ConnectionInfo,
    ConnectionWrite,
    RemoteFolder,
    RemoteItem,
    SparkPoolInfo,
    WorkspaceInfo,
)
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.shortcuts import Shortcut
from fabctl.domain.smoke_tests import JOB_TYPES, REFRESH_TYPES, JobRun, RefreshRun

_METHOD = "local"
_ERRORS: dict[int, Callable[..., GatewayError]] = {404: ItemNotFound, 409: ItemConflict}


@contextmanager
def _translated(url: str) -> Iterator[None]:
    """Turn the tenant's refusals into the application's errors, keeping Fabric's words."""
    try:
        yield
    except TenantError as e:
        error = _ERRORS.get(e.status, GatewayError)
        raise error(e.message, error_code=e.error_code, method=_METHOD, url=url, status=e.status) from e


class LocalFabricGateway:
    def __init__(self, tenant: FabricTenant) -> None:
        self._tenant = tenant

    @property
    def base_url(self) -> str:
        return ""  # in process: recovery reaches it through the state directory, not a URL

    def find_workspace(self, name: str) -> WorkspaceInfo | None:
        with _translated("local://workspaces"):
            found = self._tenant.find_workspace(name)
        return None if found is None else _workspace(found)

    def get_workspace(self, workspace_id: str) -> WorkspaceInfo:
        with _translated(f"local://workspaces/{workspace_id}"):
            return _workspace(self._tenant.get_workspace(workspace_id))

    def create_workspace(self, name: str, capacity_id: str = "") -> WorkspaceInfo:
        # "" is the port's "no preference": the tenant then assigns its default capacity.
        with _translated("local://workspaces"):
            return _workspace(self._tenant.create_workspace(name, capacity_id or None))

    def list_items(self, workspace_id: str) -> list[RemoteItem]:
        with _translated(f"local://workspaces/{workspace_id}/items"):
            return [_item(i) for i in self._tenant.list_items(workspace_id)]

    def get_definition(self, workspace_id: str, item_id: str) -> ItemDefinition:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/getDefinition"):
            return self._tenant.get_definition(workspace_id, item_id)

    def create_item(
        self,
        workspace_id: str,
        item_type: str,
        name: str,
        *,
        description: str = "",
        definition: ItemDefinition | None = None,
        folder_id: str | None = None,
        creation_payload: dict[str, object] | None = None,
    ) -> RemoteItem:
        with _translated(f"local://workspaces/{workspace_id}/items"):
            created = self._tenant.create_item(
                workspace_id,
                item_type,
                name,
                description=description,
                definition=None if definition is None else definition.parts,
                folder_id=folder_id,
                creation_payload=creation_payload,
            )
        return _item(created)

    def update_definition(self, workspace_id: str, item_id: str, definition: ItemDefinition) -> None:
        # Metadata changes go through update_item, explicitly; a `.platform` part sent along
        # is stored but does not rename the item (updateMetadata=false).
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/updateDefinition"):
            self._tenant.update_definition(workspace_id, item_id, definition.parts)

    def update_item(self, workspace_id: str, item_id: str, *, name: str, description: str) -> None:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}"):
            self._tenant.update_item(workspace_id, item_id, display_name=name, description=description)

    def delete_item(self, workspace_id: str, item_id: str) -> None:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}"):
            self._tenant.delete_item(workspace_id, item_id)

    def list_folders(self, workspace_id: str) -> list[RemoteFolder]:
        with _translated(f"local://workspaces/{workspace_id}/folders"):
            return [_folder(f) for f in self._tenant.list_folders(workspace_id)]

    def create_folder(self, workspace_id: str, name: str, parent_id: str | None = None) -> RemoteFolder:
        with _translated(f"local://workspaces/{workspace_id}/folders"):
            return _folder(self._tenant.create_folder(workspace_id, name, parent_id))

    def delete_folder(self, workspace_id: str, folder_id: str) -> None:
        with _translated(f"local://workspaces/{workspace_id}/folders/{folder_id}"):
            self._tenant.delete_folder(workspace_id, folder_id)

    def move_item(self, workspace_id: str, item_id: str, folder_id: str | None = None) -> RemoteItem:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/move"):
            return _item(self._tenant.move_item(workspace_id, item_id, folder_id))

    def get_item_attribute(self, workspace_id: str, item_type: str, item_id: str, attribute: str) -> str | None:
        segment = typed_segment(item_type, attribute)
        with _translated(f"local://workspaces/{workspace_id}/{segment}/{item_id}"):
            _, properties = self._tenant.typed_item(workspace_id, item_id, item_type)
        return attribute_of(properties, item_type, attribute)

    def get_active_value_set(self, workspace_id: str, library_id: str) -> str:
        with _translated(f"local://workspaces/{workspace_id}/variableLibraries/{library_id}"):
            _, properties = self._tenant.typed_item(workspace_id, library_id, "VariableLibrary")
        return str(properties["activeValueSetName"])

    def set_active_value_set(self, workspace_id: str, library_id: str, name: str) -> None:
        with _translated(f"local://workspaces/{workspace_id}/VariableLibraries/{library_id}"):
            self._tenant.set_active_value_set(workspace_id, library_id, name)

    def list_spark_pools(self, workspace_id: str) -> list[SparkPoolInfo]:
        with _translated(f"local://workspaces/{workspace_id}/spark/pools"):
            return [SparkPoolInfo(p.id, p.name, p.type) for p in self._tenant.list_spark_pools(workspace_id)]

    def list_connections(self) -> list[ConnectionInfo]:
        with _translated("local://connections"):
            return [_connection(c) for c in self._tenant.list_connections()]

    def create_connection(self, connection: ConnectionWrite) -> ConnectionInfo:
        path = ";".join(value for _, value in connection.parameters)
        with _translated("local://connections"):
            settings = _settings(connection, ConnectionSettings())
            created = self._tenant.create_connection(
                connection.display_name, connection.connection_type, path, "ShareableCloud", None, settings
            )
            return _connection(created)

    def update_connection(self, connection_id: str, connection: ConnectionWrite) -> ConnectionInfo:
        with _translated(f"local://connections/{connection_id}"):
            current = self._tenant.connection_by_id(connection_id)
            return _connection(self._tenant.update_connection(connection_id, _settings(connection, current.settings)))

    def delete_connection(self, connection_id: str) -> None:
        with _translated(f"local://connections/{connection_id}"):
            self._tenant.delete_connection(connection_id)

    def bind_semantic_model_connection(self, workspace_id: str, model_id: str, connection: ConnectionInfo) -> None:
        with _translated(f"local://workspaces/{workspace_id}/semanticModels/{model_id}/bindConnection"):
            self._tenant.bind_model_connection(
                workspace_id,
                model_id,
                connection.id,
                connection.connectivity_type,
                connection.connection_type,
                connection.path,
            )

    def list_item_connections(self, workspace_id: str, item_id: str) -> list[ConnectionInfo]:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/connections"):
            return [_item_connection(c) for c in self._tenant.list_item_connections(workspace_id, item_id)]

    def list_shortcuts(self, workspace_id: str, item_id: str) -> list[Shortcut]:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/shortcuts"):
            return [Shortcut.from_fabric(s.to_fabric()) for s in self._tenant.list_shortcuts(workspace_id, item_id)]

    def put_shortcut(self, workspace_id: str, item_id: str, shortcut: Shortcut) -> Shortcut:
        with _translated(f"local://workspaces/{workspace_id}/items/{item_id}/shortcuts"):
            stored = self._tenant.create_shortcut(workspace_id, item_id, shortcut.to_fabric(), "CreateOrOverwrite")
        return Shortcut.from_fabric(stored.to_fabric())

    def delete_shortcut(self, workspace_id: str, item_id: str, path: str, name: str) -> None:
        with suppress(ItemNotFound), _translated(f"local://workspaces/{workspace_id}/items/{item_id}/shortcuts"):
            self._tenant.delete_shortcut(workspace_id, item_id, path, name)

    def publish_environment(self, workspace_id: str, environment_id: str) -> None:
        # In process a publish ends at once (it never fails: faults are the emulator's business).
        url = f"local://workspaces/{workspace_id}/environments/{environment_id}/staging/publish"
        with _translated(url):
            details = self._tenant.publish_environment(workspace_id, environment_id)
        if details.state != "Success":
            raise GatewayError(
                f"the publish of environment {environment_id} ended {details.state}", method=_METHOD, url=url
            )

    def get_environment_publish_state(self, workspace_id: str, environment_id: str) -> str:
        with _translated(f"local://workspaces/{workspace_id}/environments/{environment_id}"):
            return self._tenant.publish_details(workspace_id, environment_id).state

    def run_item_job(self, workspace_id: str, item_id: str, job_type: str, timeout_s: float) -> JobRun:
        # In process nothing runs: a job of the right type completes at once (failing jobs are the emulator's).
        url = f"local://workspaces/{workspace_id}/items/{item_id}/jobs/instances"
        with _translated(url):
            item = self._tenant.get_item(workspace_id, item_id)
        if JOB_TYPES.get(item.type) != job_type:
            raise GatewayError(
                f"the job type '{job_type}' is not valid for an item of type {item.type}",
                error_code="InvalidJobType", method=_METHOD, url=url, status=400,
            )  # fmt: skip
        return JobRun(str(uuid.uuid4()), "Completed")

    def refresh_semantic_model(self, workspace_id: str, model_id: str, timeout_s: float) -> RefreshRun:
        # In process nothing is refreshed: a semantic model's refresh completes at once.
        url = f"local://groups/{workspace_id}/datasets/{model_id}/refreshes"
        with _translated(url):
            item = self._tenant.get_item(workspace_id, model_id)
        if item.type not in REFRESH_TYPES:
            raise GatewayError(
                f"the item {model_id} is a {item.type}, not a SemanticModel: it has no refresh",
                error_code="InvalidRequest", method=_METHOD, url=url, status=400,
            )  # fmt: skip
        return RefreshRun(str(uuid.uuid4()), "Completed")


def _workspace(record: WorkspaceRecord) -> WorkspaceInfo:
    return WorkspaceInfo(record.id, record.display_name, record.capacity_id or "")


def _item(record: ItemRecord) -> RemoteItem:
    return RemoteItem(record.id, record.type, record.display_name, record.description, record.folder_id)


def _folder(record: FolderRecord) -> RemoteFolder:
    return RemoteFolder(record.id, record.display_name, record.parent_id)


def _connection(record: ConnectionRecord) -> ConnectionInfo:
    s = record.settings
    return ConnectionInfo(
        record.id, record.display_name, record.connectivity_type, record.connection_type, record.path,
        privacy_level=s.privacy_level, credential_type=s.credential_type,
        connection_encryption=s.connection_encryption, skip_test_connection=s.skip_test_connection,
    )  # fmt: skip


def _settings(connection: ConnectionWrite, current: ConnectionSettings) -> ConnectionSettings:
    credentials = {"credentialType": connection.credential_type, **connection.credentials}
    return replace(
        current, privacy_level=connection.privacy_level, credential_type=connection.credential_type,
        connection_encryption=connection.connection_encryption, skip_test_connection=connection.skip_test_connection,
        credentials_digest=credentials_digest(credentials),
    )  # fmt: skip


def _item_connection(record: ItemConnectionRecord) -> ConnectionInfo:
    # As the HTTP gateway reads an unbound data source: an empty id and name.
    r = record
    return ConnectionInfo(r.id or "", r.display_name or "", r.connectivity_type, r.connection_type, r.path)
