"""Fabric's JSON shapes to and from the application's types (REST reference §7, §8).

Readers raise `KeyError`/`TypeError`/`ValueError` (or the domain's `InvalidSource` for a
payload that is not base64) on a shape the API does not promise; the gateway turns those into
`FabricResponseUnreadable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fabctl.application.ports import (
    ConnectionInfo,
    ConnectionWrite,
    RemoteFolder,
    RemoteItem,
    SparkPoolInfo,
    WorkspaceInfo,
)
from fabctl.domain.definition import DefinitionPart, ItemDefinition

INLINE_BASE64 = "InlineBase64"


@dataclass(frozen=True)
class RoleAssignment:
    """A workspace role: Fabric uses the principal id as the assignment id."""

    id: str
    principal_id: str
    principal_type: str
    role: str


@dataclass(frozen=True)
class Capacity:
    id: str
    name: str
    sku: str = ""
    region: str = ""
    state: str = ""


@dataclass(frozen=True)
class SqlEndpointProperties:
    """The SQL analytics endpoint the service provisions with a lakehouse."""

    id: str
    connection_string: str
    provisioning_status: str


def _text(body: dict[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def workspace_info(body: dict[str, Any]) -> WorkspaceInfo:
    return WorkspaceInfo(_text(body, "id"), _text(body, "displayName"), body.get("capacityId") or "")


def remote_item(body: dict[str, Any]) -> RemoteItem:
    # `description` may be "" or null; `folderId` is present only off the workspace root.
    return RemoteItem(
        _text(body, "id"),
        _text(body, "type"),
        _text(body, "displayName"),
        body.get("description") or "",
        body.get("folderId") or None,
    )


def remote_folder(body: dict[str, Any]) -> RemoteFolder:
    return RemoteFolder(_text(body, "id"), _text(body, "displayName"), body.get("parentFolderId") or None)


def role_assignment(body: dict[str, Any]) -> RoleAssignment:
    principal = body["principal"]
    return RoleAssignment(
        str(body.get("id") or principal["id"]), _text(principal, "id"), _text(principal, "type"), _text(body, "role")
    )


def capacity(body: dict[str, Any]) -> Capacity:
    return Capacity(
        _text(body, "id"),
        _text(body, "displayName"),
        body.get("sku", ""),
        body.get("region", ""),
        body.get("state", ""),
    )


def sql_endpoint(body: dict[str, Any]) -> SqlEndpointProperties | None:
    """From a lakehouse's `properties.sqlEndpointProperties` (its id and address are null until provisioned)."""
    endpoint = (body.get("properties") or {}).get("sqlEndpointProperties")
    if not endpoint:
        return None
    return SqlEndpointProperties(
        str(endpoint.get("id") or ""),
        str(endpoint.get("connectionString") or ""),
        str(endpoint.get("provisioningStatus") or ""),
    )


def query_service_uri(body: dict[str, Any]) -> str | None:
    """From an eventhouse's `properties.queryServiceUri` (null or absent until provisioned)."""
    uri = (body.get("properties") or {}).get("queryServiceUri")
    return uri if isinstance(uri, str) and uri else None


def publish_state(body: dict[str, Any]) -> str:
    """From an environment's `properties.publishDetails.state` ("" when it reports none)."""
    details = (body.get("properties") or {}).get("publishDetails") or {}
    state = details.get("state") if isinstance(details, dict) else None
    return state if isinstance(state, str) else ""


def active_value_set(body: dict[str, Any]) -> str:
    """From a variable library's `properties.activeValueSetName`."""
    return _text(body["properties"], "activeValueSetName")


def spark_pool(body: dict[str, Any]) -> SparkPoolInfo:
    return SparkPoolInfo(_text(body, "id"), _text(body, "name"), _text(body, "type"))


def connection(body: dict[str, Any]) -> ConnectionInfo:
    """A connection of the tenant: unlike an item's data source, it always has an id."""
    _text(body, "id")
    return item_connection(body)


def item_connection(body: dict[str, Any]) -> ConnectionInfo:
    """An entry of an item's connections: its `id` is absent (or null) when the data source uses no
    shareable connection (a personal cloud or automatic one)."""
    details = body.get("connectionDetails") or {}
    credentials = body.get("credentialDetails") or {}
    return ConnectionInfo(
        str(body.get("id") or ""),
        str(body.get("displayName") or ""),
        str(body.get("connectivityType") or ""),
        str(details.get("type") or ""),
        str(details.get("path") or ""),
        privacy_level=str(body.get("privacyLevel") or ""),
        credential_type=str(credentials.get("credentialType") or ""),
        connection_encryption=str(credentials.get("connectionEncryption") or ""),
        skip_test_connection=bool(credentials.get("skipTestConnection")),
    )


def _credential_details(connection: ConnectionWrite) -> dict[str, Any]:
    return {
        "singleSignOnType": "None",
        "connectionEncryption": connection.connection_encryption,
        "skipTestConnection": connection.skip_test_connection,
        "credentials": {"credentialType": connection.credential_type, **connection.credentials},
    }


def connection_creation(connection: ConnectionWrite) -> dict[str, Any]:
    """`POST /v1/connections` of a shareable cloud connection (Fabric's CreateCloudConnectionRequest)."""
    parameters = [{"dataType": "Text", "name": name, "value": value} for name, value in connection.parameters]
    return {
        "connectivityType": "ShareableCloud",
        "displayName": connection.display_name,
        "connectionDetails": {
            "type": connection.connection_type,
            "creationMethod": connection.connection_type,
            "parameters": parameters,
        },
        "privacyLevel": connection.privacy_level,
        "credentialDetails": _credential_details(connection),
    }


def connection_update(connection: ConnectionWrite) -> dict[str, Any]:
    """`PATCH /v1/connections/{id}` (UpdateShareableCloudConnectionRequest): no connectionDetails."""
    return {
        "connectivityType": "ShareableCloud",
        "privacyLevel": connection.privacy_level,
        "credentialDetails": _credential_details(connection),
    }


def connection_binding(connection: ConnectionInfo) -> dict[str, Any]:
    """The `bindConnection` body: which connection, and the data source (type, path) it serves."""
    path = connection.path
    # Fabric lists OneLake (ADLS) paths without their trailing slash but binds only with it.
    if connection.connection_type == "AzureDataLakeStorage" and path and not path.endswith("/"):
        path += "/"
    return {
        "connectionBinding": {
            "id": connection.id,
            "connectivityType": connection.connectivity_type,
            "connectionDetails": {"type": connection.connection_type, "path": path},
        }
    }


def item_definition(body: dict[str, Any]) -> ItemDefinition:
    """`{"definition": {"format"?, "parts": [...]}}` decoded into the domain's definition."""
    parts = []
    for part in body["definition"]["parts"]:
        payload_type = part.get("payloadType", INLINE_BASE64)
        if payload_type != INLINE_BASE64:
            raise ValueError(f"part {part.get('path')!r} has payloadType {payload_type!r}, not {INLINE_BASE64}")
        parts.append(DefinitionPart.from_base64(_text(part, "path"), _text(part, "payload")))
    return ItemDefinition.of(parts)
