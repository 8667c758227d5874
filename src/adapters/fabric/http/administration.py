"""Fabric calls beyond the `FabricGateway` port: workspace administration, role assignments,
capacities, moving items, and a lakehouse's SQL endpoint."""

from __future__ import annotations

from typing import Any

from fabctl.adapters.fabric.http import shapes
from fabctl.adapters.fabric.http.base import FabricRestBase
from fabctl.adapters.fabric.http.paging import iterate_pages
from fabctl.adapters.fabric.http.shapes import Capacity, RoleAssignment, SqlEndpointProperties
from fabctl.application.ports import RemoteItem, WorkspaceInfo


class WorkspaceAdministration(FabricRestBase):
    def update_workspace(
        self, workspace_id: str, *, name: str | None = None, description: str | None = None
    ) -> WorkspaceInfo:
        body: dict[str, Any] = {}
        if name is not None:
            body["displayName"] = name
        if description is not None:
            body["description"] = description
        return self._read(self._client.request("PATCH", f"workspaces/{workspace_id}", json=body), shapes.workspace_info)

    def delete_workspace(self, workspace_id: str) -> None:
        url = f"workspaces/{workspace_id}"
        self._delete_once(url, lambda: self._client.request("GET", url))

    def assign_to_capacity(self, workspace_id: str, capacity_id: str) -> None:
        # 202 with no Location: accepted, not pollable (REST reference §6.1).
        response = self._client.request(
            "POST", f"workspaces/{workspace_id}/assignToCapacity", json={"capacityId": capacity_id}
        )
        self._operations.finish(response, has_result=False)

    def list_capacities(self) -> list[Capacity]:
        return self._list(iterate_pages(self._client, "capacities"), shapes.capacity)

    def list_role_assignments(self, workspace_id: str) -> list[RoleAssignment]:
        pages = iterate_pages(self._client, f"workspaces/{workspace_id}/roleAssignments")
        return self._list(pages, shapes.role_assignment)

    def add_role_assignment(
        self, workspace_id: str, principal_id: str, principal_type: str, role: str
    ) -> RoleAssignment:
        url = f"workspaces/{workspace_id}/roleAssignments"
        body = {"principal": {"id": principal_id, "type": principal_type}, "role": role}

        def settled() -> RoleAssignment | None:
            found = [a for a in self.list_role_assignments(workspace_id) if a.principal_id == principal_id]
            return found[0] if found else None

        return self._once(lambda: self._read(self._post_once(url, body), shapes.role_assignment), settled)

    def move_item(self, workspace_id: str, item_id: str, folder_id: str | None = None) -> RemoteItem:
        """Move an item into `folder_id`, or to the workspace root when it is None."""
        body = {} if folder_id is None else {"targetFolderId": folder_id}
        # Moving to where the item already is changes nothing, so a plain retry is safe.
        response = self._client.request("POST", f"workspaces/{workspace_id}/items/{item_id}/move", json=body)
        moved = self._list(self._read(response, lambda page: page["value"]), shapes.remote_item)
        return next((item for item in moved if item.id == item_id), None) or self._read(
            self._client.request("GET", f"workspaces/{workspace_id}/items/{item_id}"), shapes.remote_item
        )

    def get_lakehouse_sql_endpoint(self, workspace_id: str, lakehouse_id: str) -> SqlEndpointProperties | None:
        """The lakehouse's SQL analytics endpoint, None if it has none. While the service is still
        provisioning it (`provisioning_status` "InProgress"), id and connection string are ""."""
        response = self._client.request("GET", f"workspaces/{workspace_id}/lakehouses/{lakehouse_id}")
        return self._read(response, shapes.sql_endpoint)
