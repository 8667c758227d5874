"""Spark pools, connections and semantic model bindings: what the `spark_pool` and
`semantic_model_binding` sections of parameter.yml need (fabric-cicd calls the same routes).

Pools and connections are seeded through the admin surface (`/_emulator/spark-pools`,
`/_emulator/connections`); the real service creates them elsewhere (portal, capacity settings).
"""

from __future__ import annotations

from typing import Any

from fabctl.adapters.fabric import tenant_rules as rules
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
