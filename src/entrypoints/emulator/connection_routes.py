"""Spark pools, connections and semantic model bindings: what the `spark_pool` and
`semantic_model_binding` sections of parameter.yml need (fabric-cicd calls the same routes).

Pools and connections are seeded through the admin surface (`/_emulator/spark-pools`,
`/_emulator/connections`); the real service creates them elsewhere (portal, capacity settings).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fabctl.adapters.fabric import tenant_rules as rules
from fabctl.adapters.fabric.tenant_connections import credentials_digest
from fabctl.adapters.fabric.tenant_errors import not_found
from fabctl.adapters.fabric.tenant_records import (
    CREDENTIAL_TYPES,
    ENCRYPTIONS,
    PRIVACY_LEVELS,
    SINGLE_SIGN_ON_TYPES,
    ConnectionSettings,
)
from fabctl.entrypoints.emulator.messages import Response, bad_request, empty_response, json_response
from fabctl.entrypoints.emulator.paging import paged
from fabctl.entrypoints.emulator.router import Call, optional_id, optional_text, required_text


def list_spark_pools(call: Call) -> Response:
    return paged(call, [p.to_fabric() for p in call.tenant.list_spark_pools(call["workspaceId"])])


def list_connections(call: Call) -> Response:
    return paged(call, [c.to_fabric() for c in call.tenant.list_connections()])


# The credentials fields each credential type needs (Fabric's `credentials` object).
_CREDENTIAL_FIELDS = {
    "Anonymous": (),
    "Basic": ("username", "password"),
    "Key": ("key",),
    "ServicePrincipal": ("servicePrincipalClientId", "servicePrincipalSecret", "tenantId"),
}


def create_connection(call: Call) -> Response:
    """`POST /v1/connections` of a shareable cloud connection: its path is its parameters' values,
    `;`-joined, as Fabric lists a SQL connection's `server;database`."""
    body = call.body()
    if body.get("connectivityType") != "ShareableCloud":
        raise bad_request("The emulator creates ShareableCloud connections only (connectivityType).")
    details = body.get("connectionDetails")
    if not isinstance(details, dict):
        raise bad_request("The connectionDetails field is required and must be an object.")
    required_text(details, "creationMethod")
    parameters = details.get("parameters")
    if (
        not isinstance(parameters, list)
        or not parameters
        or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str)
            for p in parameters
        )
    ):
        raise bad_request("The connectionDetails.parameters field must be a list of {dataType, name, value}.")
    settings = _written_settings(body, ConnectionSettings())
    connection = call.tenant.create_connection(
        required_text(body, "displayName"),
        required_text(details, "type"),
        ";".join(p["value"] for p in parameters),
        "ShareableCloud",
        None,
        settings,
    )
    return json_response(201, connection.to_fabric())


def get_connection(call: Call) -> Response:
    return json_response(200, call.tenant.connection_by_id(call["connectionId"]).to_fabric())


def update_connection(call: Call) -> Response:
    """`PATCH /v1/connections/{id}`: privacy level and credential details; connectionDetails cannot change."""
    body = call.body()
    if "connectionDetails" in body:
        raise bad_request("The connectionDetails of a connection cannot be updated.")
    current = call.tenant.connection_by_id(call["connectionId"])
    settings = _written_settings(body, current.settings)
    return json_response(200, call.tenant.update_connection(current.id, settings).to_fabric())


def delete_connection(call: Call) -> Response:
    call.tenant.delete_connection(call["connectionId"])
    return empty_response(200)


def _written_settings(body: dict[str, Any], current: ConnectionSettings) -> ConnectionSettings:
    """The settings a create or an update sends; the credentials' values are kept as a digest only,
    and no message here quotes one."""
    settings = dataclasses.replace(
        current, privacy_level=_choice(body, "privacyLevel", PRIVACY_LEVELS, current.privacy_level)
    )
    details = body.get("credentialDetails")
    if details is None:
        return settings
    if not isinstance(details, dict) or not isinstance(details.get("credentials"), dict):
        raise bad_request("The credentialDetails field must be an object with a credentials object.")
    credentials = details["credentials"]
    kind = _choice(credentials, "credentialType", CREDENTIAL_TYPES, "")
    needed = _CREDENTIAL_FIELDS.get(kind)
    if needed is None:
        raise bad_request(f"The emulator does not take {kind} credentials.")
    missing = [f for f in needed if not isinstance(credentials.get(f), str) or not credentials[f]]
    if missing:
        raise bad_request(f"{kind} credentials need {', '.join(missing)}.")
    return dataclasses.replace(
        settings,
        credential_type=kind,
        connection_encryption=_choice(details, "connectionEncryption", ENCRYPTIONS, current.connection_encryption),
        single_sign_on_type=_choice(details, "singleSignOnType", SINGLE_SIGN_ON_TYPES, current.single_sign_on_type),
        skip_test_connection=_flag(details, "skipTestConnection", False),
        credentials_digest=credentials_digest(credentials),
    )


def connections_with_digests(tenant: Any) -> Response:
    """`GET /_emulator/connections` (admin): each connection with the digest of its last credentials."""
    listed = [{**c.to_fabric(), "credentialsDigest": c.settings.credentials_digest} for c in tenant.list_connections()]
    return json_response(200, {"value": listed})


def list_item_connections(call: Call) -> Response:
    """`GET .../items/{id}/connections`: the item's data sources, each with the connection it is bound to."""
    listed = call.tenant.list_item_connections(call["workspaceId"], call["itemId"])
    return paged(call, [c.to_fabric() for c in listed])


def bind_connection(call: Call) -> Response:
    binding = call.body().get("connectionBinding")
    if not isinstance(binding, dict):
        raise bad_request("The connectionBinding field is required and must be an object.")
    details = binding.get("connectionDetails")
    if not isinstance(details, dict):
        raise bad_request("The connectionBinding.connectionDetails field is required and must be an object.")
    model = call.tenant.get_item(call["workspaceId"], call["itemId"])
    if model.type != "SemanticModel":  # the typed alias only sees semantic models
        raise not_found("Item", model.id)
    call.tenant.bind_model_connection(
        call["workspaceId"],
        call["itemId"],
        required_text(binding, "id"),
        required_text(binding, "connectivityType"),
        required_text(details, "type"),
        required_text(details, "path"),
    )
    return empty_response(200)


# --- admin seeding (/_emulator/...) ----------------------------------------------------------------


def seed_spark_pool(tenant: Any, body: dict[str, Any]) -> Response:
    pool = tenant.create_spark_pool(
        required_text(body, "workspaceId").lower(), required_text(body, "name"), body.get("type") or "Workspace"
    )
    return json_response(201, pool.to_fabric())


def seed_connection(tenant: Any, body: dict[str, Any]) -> Response:
    details = body.get("connectionDetails")
    if not isinstance(details, dict):
        raise bad_request("The connectionDetails field is required and must be an object.")
    connection_id = body.get("id")
    connection = tenant.create_connection(
        required_text(body, "displayName"),
        required_text(details, "type"),
        required_text(details, "path"),
        body.get("connectivityType") or "ShareableCloud",
        connection_id if isinstance(connection_id, str) and connection_id else None,
        _settings(body),
    )
    return json_response(201, connection.to_fabric())


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise bad_request(f"The {name} field must be true or false.")
    return value


def _choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    return rules.canonical(optional_text(body, name) or default, allowed, name)


def _settings(body: dict[str, Any]) -> ConnectionSettings:
    """The optional recorded fields of a seeded connection (`gatewayId`, `privacyLevel`, the two
    `allow...` flags, `credentialDetails.{...}`, `connectionRecency.lastUsedDateTime`)."""
    credentials = body.get("credentialDetails") or {}
    recency = body.get("connectionRecency") or {}
    if not isinstance(credentials, dict) or not isinstance(recency, dict):
        raise bad_request("The credentialDetails and connectionRecency fields must be objects.")
    default = ConnectionSettings()
    return ConnectionSettings(
        gateway_id=optional_id(body, "gatewayId"),
        privacy_level=_choice(body, "privacyLevel", PRIVACY_LEVELS, default.privacy_level),
        allow_connection_usage_in_gateway=_flag(body, "allowConnectionUsageInGateway", False),
        allow_usage_in_user_controlled_code=_flag(body, "allowUsageInUserControlledCode", False),
        credential_type=_choice(credentials, "credentialType", CREDENTIAL_TYPES, default.credential_type),
        connection_encryption=_choice(credentials, "connectionEncryption", ENCRYPTIONS, default.connection_encryption),
        single_sign_on_type=_choice(credentials, "singleSignOnType", SINGLE_SIGN_ON_TYPES, default.single_sign_on_type),
        skip_test_connection=_flag(credentials, "skipTestConnection", False),
        last_used=optional_text(recency, "lastUsedDateTime"),
    )
