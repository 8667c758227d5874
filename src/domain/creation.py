"""What a create request carries besides the item's name and definition: its creation payload.

Fabric takes some settings only when an item is created (`creationPayload`). A Warehouse's (its collation)
is declared in its `.platform` (`metadata.creationPayload`); a Lakehouse's schema support is not declared
anywhere but follows from its `lakehouse.metadata.json`: a schema-enabled Lakehouse exported by git has a
`defaultSchema` there, and must be created with `{"enableSchemas": true}` (fabric-cicd 1.4.0 does the same),
or its tables land without schemas and the export no longer round-trips.
"""

from __future__ import annotations

import json

from fabctl.domain.items import Item

LAKEHOUSE_METADATA_PART = "lakehouse.metadata.json"


def creation_payload_of(item: Item) -> dict[str, object] | None:
    """The creationPayload to create `item` with, or None for a create request without one."""
    if item.type == "Lakehouse" and _declares_default_schema(item):
        return {"enableSchemas": True}
    return item.creation_payload


def _declares_default_schema(item: Item) -> bool:
    part = item.definition.part(LAKEHOUSE_METADATA_PART)
    text = part.text if part is not None else None
    if not text:
        return False
    try:
        metadata = json.loads(text)
    except ValueError:
        return False
    return isinstance(metadata, dict) and "defaultSchema" in metadata
