"""Builds the binding context: real ids of the target, and the resolver of dynamic values."""

from __future__ import annotations

from collections.abc import Mapping

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.domain.binding import BindingContext
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey


def binding_context(
    inputs: DeploymentInputs,
    workspace_id: str,
    workspace_name: str,
    ids_by_key: Mapping[ItemKey, str],
) -> BindingContext:
    ids_by_logical_id = {
        item.logical_id.value: ids_by_key[item.key]
        for item in inputs.source
        if item.logical_id is not None and item.key in ids_by_key
    }

    def resolve(value: str) -> str:
        if value == "$workspace.$id":
            return workspace_id or "<id of the workspace after deployment>"
        if value == "$workspace.$name":
            return workspace_name
        if value.startswith("$items."):
            return _item_value(value, ids_by_key, inputs)
        raise InvalidConfiguration(
            f"unknown dynamic value '{value}' (supported: $workspace.$id, $workspace.$name, $items.<Type>.<Name>.$id)",
            subject=inputs.rules.source,
            field="replace_value",
        )

    return BindingContext(
        environment=inputs.environment.name,
        workspace_id=workspace_id,
        workspace_name=workspace_name,
        ids_by_logical_id=ids_by_logical_id,
        ids_by_key=ids_by_key,
        resolve=resolve,
    )


def _item_value(value: str, ids_by_key: Mapping[ItemKey, str], inputs: DeploymentInputs) -> str:
    # "$items.<Type>.<Name>.$id": the name itself may contain dots, the type may not.
    body = value[len("$items.") :]
    item_type, _, rest = body.partition(".")
    name, _, attribute = rest.rpartition(".")
    key = ItemKey(item_type, name)
    if attribute != "$id" or (key not in inputs.source and key not in ids_by_key):
        raise InvalidConfiguration(
            f"'{value}' does not name an item of the source with attribute $id",
            subject=inputs.rules.source,
            field="replace_value",
        )
    return ids_by_key.get(key, f"<id of {key} after deployment>")
