"""How the tenant refuses a call: Fabric's status, errorCode and message (`TenantError`).

Statuses and codes follow the shared Fabric REST notes (§3.2). Where Microsoft does not confirm
a status, the one real traffic or third-party measurements show is used.
"""

from __future__ import annotations

from typing import Any


class TenantError(Exception):
    """A call the service refuses, as Fabric reports it: HTTP status, errorCode, message.

    `is_retriable` mirrors the error body's `isRetriable`: true only where waiting and
    repeating the very same call can succeed (a display name still reserved after a delete).
    """

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        related_resource: dict[str, str] | None = None,
        *,
        is_retriable: bool = False,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.related_resource = related_resource
        self.is_retriable = is_retriable

    def to_fabric(self) -> dict[str, Any]:
        """The error body Fabric sends (without requestId, which belongs to the HTTP layer)."""
        body: dict[str, Any] = {"errorCode": self.error_code, "message": self.message}
        if self.related_resource is not None:
            body["relatedResource"] = self.related_resource
        if self.is_retriable:
            body["isRetriable"] = True
        return body


def _resource(resource_id: str, resource_type: str) -> dict[str, str]:
    return {"resourceId": resource_id, "resourceType": resource_type}


def not_found(resource_type: str, resource_id: str) -> TenantError:
    """404 with the code and wording Fabric uses for each kind of resource."""
    code, message = {
        "Workspace": ("WorkspaceNotFound", "The provided workspace was not found"),
        "Item": ("ItemNotFound", "The requested item was not found."),
        "Folder": ("FolderNotFound", "The requested folder was not found."),
        "Capacity": ("CapacityNotFound", "The requested capacity was not found."),
        "Connection": ("ConnectionNotFound", "The requested connection was not found."),
    }[resource_type]
    return TenantError(404, code, message, _resource(resource_id, resource_type))


def invalid_input(message: str) -> TenantError:
    return TenantError(400, "InvalidInput", message)


def item_name_in_use(name: str) -> TenantError:
    return TenantError(409, "ItemDisplayNameAlreadyInUse", f"Requested '{name}' is already in use")


def item_name_not_available_yet(name: str) -> TenantError:
    # The real service keeps a deleted item's name for minutes and answers 409 with
    # isRetriable: true; clients (fabric-cicd) repeat the same call with backoff until it
    # passes. 409 is the latest measured status (400 was seen historically), so the HTTP layer
    # may remap it, but the code and isRetriable are the contract.
    return TenantError(
        409,
        "ItemDisplayNameNotAvailableYet",
        f"Requested '{name}' is not available yet and is expected to become available in the upcoming minutes.",
        is_retriable=True,
    )


def workspace_name_in_use(name: str) -> TenantError:
    return TenantError(409, "WorkspaceNameAlreadyExists", f"Workspace name '{name}' already exists")


def folder_name_in_use(name: str) -> TenantError:
    return TenantError(409, "FolderDisplayNameAlreadyInUse", f"Requested folder name '{name}' is already in use")


def folder_not_empty(folder_id: str) -> TenantError:
    return TenantError(400, "FolderNotEmpty", "The requested folder was not empty.", _resource(folder_id, "Folder"))


def no_capacity(workspace_id: str) -> TenantError:
    return TenantError(
        400,
        "WorkspaceHasNoCapacityAssigned",
        "The workspace has no capacity assigned",
        _resource(workspace_id, "Workspace"),
    )


def principal_has_role(principal_id: str) -> TenantError:
    return TenantError(
        409,
        "PrincipalAlreadyHasWorkspaceRolePermissions",
        "The principal already has a role in the workspace",
        _resource(principal_id, "Principal"),
    )


def invalid_item_type(item_type: str) -> TenantError:
    return TenantError(400, "InvalidItemType", f"The item type '{item_type}' is not valid")


def missing_definition(item_type: str) -> TenantError:
    return TenantError(400, "MissingDefinition", f"Items of type {item_type} require a definition")


def definition_and_creation_payload() -> TenantError:
    return TenantError(
        400,
        "RequestWithDefinitionAndCreationPayloadNotSupported",
        "A request may carry a definition or a creationPayload, not both",
    )


def duplicate_parts(paths: list[str]) -> TenantError:
    return TenantError(400, "InvalidDefinitionParts", f"Duplicate definition part paths: {paths}")


def invalid_platform_file(reason: str) -> TenantError:
    return TenantError(400, "InvalidPlatformFile", f"The .platform part is invalid: {reason}")


def no_definition_support(item_type: str) -> TenantError:
    return TenantError(400, "OperationNotSupportedForItem", f"Items of type {item_type} have no definition")


def pool_name_in_use(name: str) -> TenantError:
    return TenantError(409, "PoolNameAlreadyExists", f"A pool named '{name}' already exists")


def connection_name_in_use(name: str) -> TenantError:
    return TenantError(409, "DuplicateConnectionName", f"A connection named '{name}' already exists")


def binding_details_mismatch(connection_id: str) -> TenantError:
    # The model has no data source with these details: the binding names the wrong source.
    return TenantError(
        400,
        "BindConnectionDetailNotFound",
        "The connection details do not match the connection to bind",
        _resource(connection_id, "Connection"),
    )
