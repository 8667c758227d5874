"""Exporting an existing workspace's items as a source folder would hold them (`fabctl init --from-workspace`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fabctl.application.deployment.target import folder_paths
from fabctl.application.errors import GatewayError
from fabctl.application.ports import FabricGateway, RemoteItem, WorkspaceInfo
from fabctl.domain.adoption import adopted_logical_id, with_logical_ids
from fabctl.domain.definition import PLATFORM_FILE, ItemDefinition
from fabctl.domain.errors import NotFound
from fabctl.domain.items import ItemKey


@dataclass(frozen=True)
class ExportedItem:
    key: ItemKey
    folder: str  # "a/b", "" at the root
    description: str
    logical_id: str
    definition: ItemDefinition  # content parts, logical ids for the workspace's ids


@dataclass(frozen=True)
class WorkspaceExport:
    workspace: WorkspaceInfo
    items: tuple[ExportedItem, ...]
    skipped: tuple[tuple[ItemKey, str], ...]  # items not exported, and why


def export_workspace(gateway: FabricGateway, name: str, *, subject: str = "--from-workspace") -> WorkspaceExport:
    """Every item of the workspace `name` with its definition, ready to be written as a source folder."""
    workspace = gateway.find_workspace(name)
    if workspace is None:
        raise NotFound(f"no workspace '{name}' is visible to fabctl's identity", subject=subject)
    paths = {folder_id: path for path, folder_id in folder_paths(gateway.list_folders(workspace.id)).items()}
    read: list[tuple[RemoteItem, ItemDefinition, str]] = []
    skipped: list[tuple[ItemKey, str]] = []
    for item in sorted(gateway.list_items(workspace.id), key=lambda i: (i.type, i.name)):
        problem = _unusable_name(item.name)
        if problem:
            skipped.append((item.key, problem))
            continue
        try:
            definition = gateway.get_definition(workspace.id, item.id)
        except GatewayError as e:
            if e.status != 400:  # OperationNotSupportedForItem: a type with no definition to export
                raise
            skipped.append((item.key, f"Fabric gives no definition of it ({e.error_code or e.status})"))
            continue
        read.append((item, definition, _platform_logical_id(definition)))
    logical_ids = {item.id.lower(): adopted_logical_id(given, item.id) for item, _, given in read}
    items = tuple(
        ExportedItem(
            item.key,
            paths.get(item.folder_id, "") if item.folder_id else "",
            item.description,
            logical_ids[item.id.lower()],
            with_logical_ids(item.type, definition, logical_ids, workspace.id),
        )
        for item, definition, _ in read
    )
    return WorkspaceExport(workspace, items, tuple(skipped))


def _platform_logical_id(definition: ItemDefinition) -> str:
    part = definition.part(PLATFORM_FILE)
    try:
        document = json.loads(part.payload) if part is not None else {}
        return str(document["config"]["logicalId"])
    except (ValueError, KeyError, TypeError):
        return ""  # none, or not one fabctl can read: a logical id is derived instead


def _unusable_name(name: str) -> str:
    # A source folder names an item folder "<name>.<type>": a name that cannot be one is not exported.
    if "/" in name or "\\" in name or "\0" in name:
        return "its name holds a path separator, which no item folder name can"
    if name.startswith("."):
        return "its name starts with '.', and source folders skip hidden folders"
    return ""
