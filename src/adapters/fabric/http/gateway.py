"""`HttpxFabricGateway`: the `FabricGateway` port over the Fabric REST API (or the emulator).

Composition only: the transport owns retries, throttling, the circuit breaker, auth and the
trace; `OperationPoller` owns long-running operations; `without_duplicates` keeps creates and
deletes from happening twice. Methods beyond the port (workspace administration, role
assignments, capacities, moves, lakehouse SQL endpoints) live in `WorkspaceAdministration`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fabctl.adapters.fabric.http import shapes
from fabctl.adapters.fabric.http.administration import WorkspaceAdministration
from fabctl.adapters.fabric.http.auth import token_provider_for
from fabctl.adapters.fabric.http.base import named
from fabctl.adapters.fabric.http.circuit import CircuitBreaker
from fabctl.adapters.fabric.http.jobs import JobPoller
from fabctl.adapters.fabric.http.operations import OperationPoller
from fabctl.adapters.fabric.http.paging import iterate_pages
from fabctl.adapters.fabric.http.refreshes import RefreshPoller
from fabctl.adapters.fabric.http.shortcuts import OneLakeShortcuts
from fabctl.adapters.fabric.http.throttle import RateLimiter, ThrottleGate
from fabctl.adapters.fabric.http.trace import HttpTrace
from fabctl.adapters.fabric.http.transport import DEFAULT_BASE_URL, FabricHttpClient, RetryPolicy
from fabctl.adapters.fabric.http.uploads import DEFAULT_UPLOAD_WINDOW_BYTES, DefinitionUpload, UploadWindow
from fabctl.adapters.fabric.http.urls import powerbi_root
from fabctl.adapters.fabric.item_attributes import attribute_of, typed_segment
from fabctl.application.errors import ItemNotFound
from fabctl.application.ports import (
    ConnectionInfo,
    ConnectionWrite,
    RemoteFolder,
    RemoteItem,
    SparkPoolInfo,
    Telemetry,
    WorkspaceInfo,
)
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.smoke_tests import JobRun, RefreshRun


class HttpxFabricGateway(WorkspaceAdministration, OneLakeShortcuts):
    """Fabric over HTTP. One `httpx.Client` (and one throttle gate) shared by all threads; `close()` it.

    `credential` is an azure-core `TokenCredential`; it may be None only for a loopback URL.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        credential: object | None = None,
        *,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 5,
        retry_backoff_s: float = 1.0,
        retry_backoff_max_s: float = 30.0,
        throttle_budget_s: float = 300.0,
        rate_limit_rpm: float | None = None,
        rate_limit_burst: int = 1,
        circuit_failure_threshold: int = 10,
        circuit_cooldown_s: float = 30.0,
        lro_deadline_s: float = 600.0,
        lro_poll_interval_s: float = 1.0,
        operation_retries: int = 3,
        token_refresh_margin_s: float = 60.0,
        upload_window_bytes: int = DEFAULT_UPLOAD_WINDOW_BYTES,
        trace_path: str | Path | None = None,
        trace_secrets: Iterable[str] = (),
        user_agent: str = "fabctl",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        telemetry: Telemetry | None = None,
    ) -> None:
        tokens = token_provider_for(base_url, credential, refresh_margin_s=token_refresh_margin_s)
        trace = None if trace_path is None else HttpTrace(trace_path, secrets=trace_secrets)
        # Values known only later (secrets read while binding) are added to it as they are read.
        self.trace = trace
        retry = RetryPolicy(max_retries, retry_backoff_s, retry_backoff_max_s, throttle_budget_s)
        client = FabricHttpClient(
            base_url,
            tokens=tokens,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            retry=retry,
            gate=ThrottleGate(clock=clock, sleep=sleep),
            limiter=None
            if rate_limit_rpm is None
            else RateLimiter(rate_limit_rpm, burst=rate_limit_burst, clock=clock, sleep=sleep),
            breaker=CircuitBreaker(
                failure_threshold=circuit_failure_threshold, cooldown_s=circuit_cooldown_s, clock=clock
            ),
            trace=trace,
            user_agent=user_agent,
            sleep=sleep,
            clock=clock,
            telemetry=telemetry,
        )
        operations = OperationPoller(
            client, deadline_s=lro_deadline_s, poll_interval_s=lro_poll_interval_s, clock=clock, sleep=sleep
        )
        super().__init__(client, operations, retry, sleep, operation_retries)
        self._jobs = JobPoller(client, poll_interval_s=lro_poll_interval_s, clock=clock, sleep=sleep)
        self._refreshes = RefreshPoller(
            client, powerbi_root(client.base_url), poll_interval_s=lro_poll_interval_s, clock=clock, sleep=sleep
        )
        self._uploads = UploadWindow(upload_window_bytes)

    # --- workspaces ----------------------------------------------------------------------------

    def find_workspace(self, name: str) -> WorkspaceInfo | None:
        found = self._list(iterate_pages(self._client, "workspaces"), shapes.workspace_info)
        return named(found, name, lambda w: w.name)

    def get_workspace(self, workspace_id: str) -> WorkspaceInfo:
        return self._read(self._client.request("GET", f"workspaces/{workspace_id}"), shapes.workspace_info)

    def create_workspace(self, name: str, capacity_id: str = "") -> WorkspaceInfo:
        body: dict[str, Any] = {"displayName": name}
        if capacity_id:
            body["capacityId"] = capacity_id
        return self._once(
            lambda: self._read(self._post_once("workspaces", body), shapes.workspace_info),
            lambda: self.find_workspace(name),
        )

    # --- items ---------------------------------------------------------------------------------

    def list_items(self, workspace_id: str, item_type: str | None = None) -> list[RemoteItem]:
        params = {} if item_type is None else {"type": item_type}
        pages = iterate_pages(self._client, f"workspaces/{workspace_id}/items", params)
        return self._list(pages, shapes.remote_item)

    def get_item(self, workspace_id: str, item_id: str) -> RemoteItem:
        return self._read(self._client.request("GET", f"workspaces/{workspace_id}/items/{item_id}"), shapes.remote_item)

    def get_definition(self, workspace_id: str, item_id: str) -> ItemDefinition:
        def read() -> ItemDefinition:
            response = self._client.request("POST", f"workspaces/{workspace_id}/items/{item_id}/getDefinition")
            return self._read(self._finish(response, has_result=True), shapes.item_definition)

        return self._past_failed_operations(read)

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
        body: dict[str, Any] = {"displayName": name, "type": item_type, "description": description}
        if folder_id is not None:
            body["folderId"] = folder_id
        if creation_payload is not None:
            body["creationPayload"] = creation_payload

        def send() -> RemoteItem:
            url = f"workspaces/{workspace_id}/items"
            if definition is None:
                response = self._post_once(url, body)
            else:
                with self._uploads.holding(definition.size):
                    response = self._post_once(url, DefinitionUpload(definition, body))
            return self._read(self._finish(response, has_result=True), shapes.remote_item)

        def settled() -> RemoteItem | None:
            return named(self.list_items(workspace_id, item_type), name, lambda i: i.name)

        def left_behind() -> RemoteItem | None:
            # A create whose operation failed may have made the item all the same: it gets the definition asked for.
            found = settled()
            if found is not None and definition is not None:
                self.update_definition(workspace_id, found.id, definition)
            return found

        return self._past_failed_operations(lambda: self._once(send, settled), left_behind)

    def update_definition(self, workspace_id: str, item_id: str, definition: ItemDefinition) -> None:
        # Without updateMetadata: a `.platform` part is stored but renames nothing (as the port says).
        url = f"workspaces/{workspace_id}/items/{item_id}/updateDefinition"

        def send() -> None:
            with self._uploads.holding(definition.size):
                response = self._client.request("POST", url, stream=DefinitionUpload(definition))
            self._operations.finish(response, has_result=False)

        self._past_failed_operations(send)

    def update_item(self, workspace_id: str, item_id: str, *, name: str, description: str) -> None:
        body = {"displayName": name, "description": description}
        self._client.request("PATCH", f"workspaces/{workspace_id}/items/{item_id}", json=body)

    def delete_item(self, workspace_id: str, item_id: str) -> None:
        self._delete_once(f"workspaces/{workspace_id}/items/{item_id}", lambda: self.get_item(workspace_id, item_id))

    # --- folders -------------------------------------------------------------------------------

    def list_folders(self, workspace_id: str) -> list[RemoteFolder]:
        pages = iterate_pages(self._client, f"workspaces/{workspace_id}/folders")
        return self._list(pages, shapes.remote_folder)

    def create_folder(self, workspace_id: str, name: str, parent_id: str | None = None) -> RemoteFolder:
        body: dict[str, Any] = {"displayName": name}
        if parent_id is not None:
            body["parentFolderId"] = parent_id
        url = f"workspaces/{workspace_id}/folders"

        def settled() -> RemoteFolder | None:
            siblings = [f for f in self.list_folders(workspace_id) if f.parent_id == parent_id]
            return named(siblings, name, lambda f: f.name)

        return self._once(lambda: self._read(self._post_once(url, body), shapes.remote_folder), settled)

    def delete_folder(self, workspace_id: str, folder_id: str) -> None:
        def still_there() -> None:
            if all(f.id != folder_id for f in self.list_folders(workspace_id)):
                raise ItemNotFound(f"folder {folder_id} is gone")

        self._delete_once(f"workspaces/{workspace_id}/folders/{folder_id}", still_there)

    def get_item_attribute(self, workspace_id: str, item_type: str, item_id: str, attribute: str) -> str | None:
        segment = typed_segment(item_type, attribute)
        response = self._client.request("GET", f"workspaces/{workspace_id}/{segment}/{item_id}")
        return self._read(response, lambda body: attribute_of(body.get("properties"), item_type, attribute))

    # --- variable libraries --------------------------------------------------------------------

    def get_active_value_set(self, workspace_id: str, library_id: str) -> str:
        response = self._client.request("GET", f"workspaces/{workspace_id}/variableLibraries/{library_id}")
        return self._read(response, shapes.active_value_set)

    def set_active_value_set(self, workspace_id: str, library_id: str, name: str) -> None:
        # Setting the same set twice leaves it set: safe to retry, unlike a create.
        body = {"properties": {"activeValueSetName": name}}
        self._client.request("PATCH", f"workspaces/{workspace_id}/VariableLibraries/{library_id}", json=body)

    # --- spark pools, connections, semantic model bindings --------------------------------------

    def list_spark_pools(self, workspace_id: str) -> list[SparkPoolInfo]:
        return self._list(iterate_pages(self._client, f"workspaces/{workspace_id}/spark/pools"), shapes.spark_pool)

    def list_connections(self) -> list[ConnectionInfo]:
        return self._list(iterate_pages(self._client, "connections"), shapes.connection)

    def create_connection(self, connection: ConnectionWrite) -> ConnectionInfo:
        def settled() -> ConnectionInfo | None:  # display names are unique in the tenant
            return named(self.list_connections(), connection.display_name, lambda c: c.display_name)

        body = shapes.connection_creation(connection)
        return self._once(lambda: self._read(self._post_once("connections", body), shapes.connection), settled)

    def update_connection(self, connection_id: str, connection: ConnectionWrite) -> ConnectionInfo:
        # Setting the same settings twice leaves them set: safe to retry, unlike a create.
        response = self._client.request(
            "PATCH", f"connections/{connection_id}", json=shapes.connection_update(connection)
        )
        return self._read(response, shapes.connection)

    def delete_connection(self, connection_id: str) -> None:
        def still_there() -> None:
            if all(c.id.lower() != connection_id.lower() for c in self.list_connections()):
                raise ItemNotFound(f"connection {connection_id} is gone")

        self._delete_once(f"connections/{connection_id}", still_there)

    def bind_semantic_model_connection(self, workspace_id: str, model_id: str, connection: ConnectionInfo) -> None:
        # Binding twice binds the same connection again: safe to retry, unlike a create.
        url = f"workspaces/{workspace_id}/semanticModels/{model_id}/bindConnection"
        self._client.request("POST", url, json=shapes.connection_binding(connection))

    def list_item_connections(self, workspace_id: str, item_id: str) -> list[ConnectionInfo]:
        url = f"workspaces/{workspace_id}/items/{item_id}/connections"
        return self._list(iterate_pages(self._client, url), shapes.item_connection)

    # --- environments ----------------------------------------------------------------------------

    def publish_environment(self, workspace_id: str, environment_id: str) -> None:
        # A long-running operation (202, Retry-After 120 as recorded); its Failed end is the publish failing.
        # Not repeated after a failed operation, unlike definitions: a failed publish is an answer, not a hiccup.
        url = f"workspaces/{workspace_id}/environments/{environment_id}/staging/publish"
        response = self._client.request("POST", url, params={"beta": "False"})
        self._operations.finish(response, has_result=False)

    def get_environment_publish_state(self, workspace_id: str, environment_id: str) -> str:
        response = self._client.request("GET", f"workspaces/{workspace_id}/environments/{environment_id}")
        return self._read(response, shapes.publish_state)

    # --- item jobs -------------------------------------------------------------------------------

    def run_item_job(self, workspace_id: str, item_id: str, job_type: str, timeout_s: float) -> JobRun:
        return self._jobs.run(workspace_id, item_id, job_type, timeout_s)

    def refresh_semantic_model(self, workspace_id: str, model_id: str, timeout_s: float) -> RefreshRun:
        return self._refreshes.refresh(workspace_id, model_id, timeout_s)
