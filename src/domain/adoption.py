"""Adopting a workspace: its items' definitions as a source folder holds them, logical ids for real ids.

Binding (`binding.py`) turns a source's logical ids into the target's item ids and the zero GUID into the
target workspace's id. Adopting does the reverse on what `getDefinition` returns, so that the exported
folder binds back to exactly what the workspace holds (a plan shows no change) and binds to another
workspace's items when promoted.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.items import ZERO_GUID
from fabctl.domain.shortcuts import SHORTCUT_HOLDER, SHORTCUTS_PART

# Fixed, so that exporting the same workspace again gives the same logical ids (no change in git).
_ADOPTED = uuid.UUID("6c1f3f0e-5a4b-4e61-9f0d-3b7f1d2a9c10")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def adopted_logical_id(platform_logical_id: str, item_id: str) -> str:
    """The logical id Fabric's `.platform` gave the item, or, when it gave none (the zero GUID of an item
    not from git), one derived from the item's id: the same on every export."""
    if platform_logical_id and platform_logical_id.lower() != ZERO_GUID:
        return platform_logical_id.lower()
    return str(uuid.uuid5(_ADOPTED, item_id.lower()))


def with_logical_ids(
    item_type: str, definition: ItemDefinition, logical_ids: Mapping[str, str], workspace_id: str
) -> ItemDefinition:
    """`definition` with each item id of `logical_ids` (lower case -> logical id) replaced by its logical
    id, and the workspace's id by the zero GUID, as binding expects; `.platform` dropped."""
    workspace = workspace_id.lower()

    def rewrite(part: DefinitionPart, text: str) -> str:
        # binding leaves the shortcuts part's zero GUIDs alone: so the workspace's id stays there
        keeps_workspace = item_type == SHORTCUT_HOLDER and part.path == SHORTCUTS_PART

        def swap(match: re.Match[str]) -> str:
            guid = match.group(0).lower()
            if guid in logical_ids:
                return logical_ids[guid]
            return ZERO_GUID if guid == workspace and not keeps_workspace else match.group(0)

        return _GUID.sub(swap, text)

    return definition.without_platform().map_text(rewrite)
