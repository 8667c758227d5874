"""What a `FabricTenant` hands out: immutable records, each able to render Fabric's JSON shape.

The shapes follow the REST API (camelCase keys, optional keys omitted when unset) so the HTTP
emulator can serialise them as they are and cannot drift from the in-process behaviour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart
from fabctl.domain.items import ZERO_GUID

PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)

# A real-looking, fixed GUID: tests and snapshots can name the default capacity.
DEFAULT_CAPACITY_ID = "7d3e2b91-4f6a-4c58-9a0e-1b5c8d2f6e34"
DEFAULT_CAPACITY_NAME = "Local capacity"
DEFAULT_CAPACITY_REGION = "West Europe"  # a real region's name: clients show and compare it
# OneLake's global endpoints, which every workspace answers with (`oneLakeEndpoints`).
ONELAKE_BLOB_ENDPOINT = "https://onelake.blob.fabric.microsoft.com"
ONELAKE_DFS_ENDPOINT = "https://onelake.dfs.fabric.microsoft.com"

ROLES = ("Admin", "Member", "Contributor", "Viewer")
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ServicePrincipalProfile")

# The label Fabric shows on every item of a tenant whose default label policy applies one (the
# recorded lists carry `sensitivityLabel.id` on every item); a fixed, real-looking GUID.
DEFAULT_SENSITIVITY_LABEL_ID = "9fbde396-1a24-4c79-8edf-9254a0f35055"

# Types the service offers no definition APIs for (creationPayload or nothing at all).
DEFINITIONLESS_TYPES: frozenset[str] = frozenset({"Warehouse", "MLExperiment", "MLModel"})


@dataclass(frozen=True)
class CapacityRecord:
    id: str
    display_name: str
    sku: str = "F2"
    region: str = DEFAULT_CAPACITY_REGION
    state: str = "Active"

    def to_fabric(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "sku": self.sku,
            "region": self.region,
            "state": self.state,
        }


@dataclass(frozen=True)
class WorkspaceRecord:
    id: str
    display_name: str
    description: str = ""
    capacity_id: str | None = None

    def to_fabric(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "type": "Workspace",
        }
        if self.capacity_id is not None:  # Fabric omits the key for unassigned workspaces
            body["capacityId"] = self.capacity_id
        return body


@dataclass(frozen=True)
class ItemRecord:
    id: str
    workspace_id: str
    type: str
    display_name: str
    description: str = ""
    folder_id: str | None = None

    def to_fabric(self, *, label: bool = False) -> dict[str, Any]:
        """`label`: with the `sensitivityLabel` the HTTP answers carry (snapshots leave it out)."""
        # `description` is always present: fabric-cicd indexes it directly.
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "displayName": self.display_name,
            "description": self.description,
            "workspaceId": self.workspace_id,
        }
        if self.folder_id is not None:  # present only when not at the workspace root
            body["folderId"] = self.folder_id
        if label:
            body["sensitivityLabel"] = {"id": DEFAULT_SENSITIVITY_LABEL_ID}
        return body


@dataclass(frozen=True)
class FolderRecord:
    id: str
    workspace_id: str
    display_name: str
    parent_id: str | None = None

    def to_fabric(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "workspaceId": self.workspace_id,
        }
        if self.parent_id is not None:
            body["parentFolderId"] = self.parent_id
        return body


@dataclass(frozen=True)
class RoleAssignmentRecord:
    """Fabric uses the principal id as the assignment id."""

    principal_id: str
    principal_type: str
    role: str

    @property
    def id(self) -> str:
        return self.principal_id

    def to_fabric(self) -> dict[str, Any]:
        return {
            "id": self.principal_id,
            "principal": {"id": self.principal_id, "type": self.principal_type},
            "role": self.role,
        }


@dataclass(frozen=True)
class SqlEndpointRecord:
    """The SQL analytics endpoint Fabric provisions for a Lakehouse, a moment after creating it."""

    id: str
    connection_string: str
    ready: bool

    def to_fabric(self) -> dict[str, Any]:
        # Until provisioning succeeds the endpoint has no usable id or address yet: the keys stay
        # present (clients index them) but null, and fabric-cicd polls `provisioningStatus`.
        return {
            "id": self.id if self.ready else None,
            "connectionString": self.connection_string if self.ready else None,
            "provisioningStatus": "Success" if self.ready else "InProgress",
        }


@dataclass(frozen=True)
class QueryServiceRecord:
    """An Eventhouse's query and ingestion service URIs, provisioned a moment after creating it."""

    query_service_uri: str
    ingestion_service_uri: str
    ready: bool

    def to_fabric(self) -> dict[str, Any]:
        # Like a SQL endpoint's: the keys are present, null until provisioned.
        return {
            "queryServiceUri": self.query_service_uri if self.ready else None,
            "ingestionServiceUri": self.ingestion_service_uri if self.ready else None,
        }


# Fabric's default pool: every workspace can use it, without anyone creating it.
STARTER_POOL_NAME = "Starter Pool"
POOL_TYPES = ("Workspace", "Capacity")
CONNECTIVITY_TYPES = ("ShareableCloud", "PersonalCloud", "OnPremisesGateway", "VirtualNetworkGateway", "Automatic")


@dataclass(frozen=True)
class SparkPoolRecord:
    id: str
    name: str
    type: str  # "Workspace" (defined in the workspace) or "Capacity" (defined on its capacity)

    def to_fabric(self) -> dict[str, Any]:
        # The fields of a custom pool that a client reads; sizing is fixed, nothing runs here.
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "nodeFamily": "MemoryOptimized",
            "nodeSize": "Medium",
            "autoScale": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 10},
            "dynamicExecutorAllocation": {"enabled": True, "minExecutors": 1, "maxExecutors": 9},
        }


PRIVACY_LEVELS = ("None", "Private", "Organizational", "Public")
CREDENTIAL_TYPES = (
    "Anonymous", "Basic", "Key", "OAuth2", "ServicePrincipal", "SharedAccessSignature", "Windows",
    "WindowsWithoutImpersonation", "WorkspaceIdentity",
)  # fmt: skip
ENCRYPTIONS = ("Any", "Encrypted", "NotEncrypted")
SINGLE_SIGN_ON_TYPES = ("None", "Kerberos", "MicrosoftEntraID", "SAML", "KerberosDirectQueryAndRefresh")


@dataclass(frozen=True)
class ConnectionSettings:
    """What a connection holds besides its name, kind and data source; the defaults are a plain cloud
    connection as the recorded ones were. Seeded through `/_emulator/connections`."""

    gateway_id: str | None = None  # only gateway connections have one
    privacy_level: str = "Organizational"
    allow_connection_usage_in_gateway: bool = False
    allow_usage_in_user_controlled_code: bool = False
    credential_type: str = "Anonymous"
    connection_encryption: str = "NotEncrypted"
    single_sign_on_type: str = "None"
    skip_test_connection: bool = False
    last_used: str | None = None  # ISO moment the connection was last used; null when never
    # SHA-256 of the credentials last written (`credentials_digest`): the emulator keeps no value, and
    # never returns even this through the Fabric routes; tests read it on the admin surface.
    credentials_digest: str = ""

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str | None) -> ConnectionSettings:
        # No text: a connection of an older file, stored before these settings were.
        return cls() if not text else cls(**json.loads(text))


@dataclass(frozen=True)
class ConnectionRecord:
    id: str
    display_name: str
    connectivity_type: str
    connection_type: str  # connectionDetails.type, e.g. "SQL"
    path: str  # connectionDetails.path
    settings: ConnectionSettings = ConnectionSettings()

    def to_fabric(self) -> dict[str, Any]:
        s = self.settings
        return {
            "id": self.id,
            "displayName": self.display_name,
            "connectivityType": self.connectivity_type,
            "gatewayId": s.gateway_id,
            "privacyLevel": s.privacy_level,
            "allowConnectionUsageInGateway": s.allow_connection_usage_in_gateway,
            "allowUsageInUserControlledCode": s.allow_usage_in_user_controlled_code,
            "connectionDetails": {"type": self.connection_type, "path": self.path},
            "credentialDetails": {
                "credentialType": s.credential_type,
                "connectionEncryption": s.connection_encryption,
                "singleSignOnType": s.single_sign_on_type,
                "skipTestConnection": s.skip_test_connection,
            },
            "connectionRecency": {"lastUsedDateTime": s.last_used},
        }


@dataclass(frozen=True)
class ItemConnectionRecord:
    """An entry of `GET .../items/{id}/connections`: a data source of the item and the connection it
    uses; one bound to no connection has no id or name, and connectivity type "None"."""

    id: str | None
    display_name: str | None
    connectivity_type: str
    connection_type: str
    path: str

    @staticmethod
    def bound(connection: ConnectionRecord) -> ItemConnectionRecord:
        c = connection
        return ItemConnectionRecord(c.id, c.display_name, c.connectivity_type, c.connection_type, c.path)

    def to_fabric(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "connectivityType": self.connectivity_type,
            "connectionDetails": {"type": self.connection_type, "path": self.path},
        }


UNBOUND_CONNECTIVITY = "None"  # what an unbound data source shows (docs/emulator.md, "Choices")


def generated_platform(item: ItemRecord) -> DefinitionPart:
    """The `.platform` part the service returns for an item that was never given one."""
    document = {
        "$schema": PLATFORM_SCHEMA,
        "metadata": {
            "type": item.type,
            "displayName": item.display_name,
            "description": item.description,
        },
        "config": {"version": "2.0", "logicalId": ZERO_GUID},
    }
    return DefinitionPart.from_text(PLATFORM_FILE, json.dumps(document, indent=2) + "\n")


def part_to_json(part: DefinitionPart) -> dict[str, str]:
    """A part for a human-readable snapshot: text as text, anything else as base64."""
    text = part.text
    if text is None:
        return {"path": part.path, "base64": part.to_base64()}
    return {"path": part.path, "text": text}
