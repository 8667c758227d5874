"""An empty `clusterUri` in a KQL queryset's or a Real-Time dashboard's data source means "the cluster of
this KQL database, wherever it is deployed": git exports it empty, and it is filled in on deployment with
the query service URI of the Eventhouse that holds the database (as fabric-cicd 1.4.0 does).

- a KQL queryset (`RealTimeQueryset.json`, `queryset.dataSources[]`) names its database by logical id
  (`databaseItemId`);
- a Real-Time dashboard (`RealTimeDashboard.json`, `dataSources[]`) names it by display name (`name`).

The database must be in the source, under its Eventhouse (`DatabaseProperties.json`'s
`parentEventhouseItemId`, a logical id): that is how fabctl knows which Eventhouse's URI to ask for. The
URI itself comes from `resolve`, given `$items.Eventhouse.<name>.$queryserviceuri`, so it is read (and
waited for) like any other provisioned value and the Eventhouse becomes a dependency of the item.
A part that is rewritten is written back as fabric-cicd writes it (two-space indentation).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.workspace import Workspace

QUERYSET_PART = "RealTimeQueryset.json"
DASHBOARD_PART = "RealTimeDashboard.json"
DATABASE_PROPERTIES_PART = "DatabaseProperties.json"


def fill_cluster_uris(item: Item, part_path: str, text: str, source: Workspace, resolve: Callable[[str], str]) -> str:
    """`text` with each empty `clusterUri` of `item`'s data sources filled in; unchanged if none is empty."""
    if (item.type, part_path) not in {("KQLQueryset", QUERYSET_PART), ("KQLDashboard", DASHBOARD_PART)}:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        return text  # not JSON: Fabric refuses it, fabctl does not guess
    sources, field = _data_sources(item.type, document)
    filled = False
    for index, data_source in enumerate(sources):
        if not isinstance(data_source, dict) or data_source.get("clusterUri") != "":
            continue
        where = f"{field}[{index}].clusterUri"
        database = _database(item.type, data_source, source, where, _shown(item, part_path))
        eventhouse = _eventhouse_of(database, source, where, _shown(item, part_path))
        data_source["clusterUri"] = resolve(f"$items.Eventhouse.{eventhouse.name}.$queryserviceuri")
        filled = True
    return json.dumps(document, indent=2) if filled else text


def _data_sources(item_type: str, document: Any) -> tuple[list[Any], str]:
    if not isinstance(document, dict):
        return [], ""
    if item_type == "KQLQueryset":
        queryset = document.get("queryset")
        found = queryset.get("dataSources") if isinstance(queryset, dict) else None
        return (found if isinstance(found, list) else []), "queryset.dataSources"
    found = document.get("dataSources")
    return (found if isinstance(found, list) else []), "dataSources"


def _database(item_type: str, data_source: dict[str, Any], source: Workspace, where: str, shown: str) -> Item:
    if item_type == "KQLQueryset":
        logical_id = data_source.get("databaseItemId")
        try:
            database = source.by_logical_id(LogicalId(str(logical_id)))
        except InvalidSource:
            database = None
        named = f"logical id '{logical_id}' (databaseItemId)"
    else:
        name = data_source.get("name")
        database = source.get(ItemKey("KQLDatabase", str(name))) if isinstance(name, str) else None
        named = f"name '{name}'"
    if database is None or database.type != "KQLDatabase":
        raise InvalidSource(
            f"an empty clusterUri is filled from its KQL database, but the source has no KQL database with {named}",
            subject=shown,
            field=where,
        )
    return database


def _eventhouse_of(database: Item, source: Workspace, where: str, shown: str) -> ItemKey:
    part = database.definition.part(DATABASE_PROPERTIES_PART)
    try:
        properties = json.loads(part.text or "") if part is not None else None
    except ValueError:
        properties = None
    parent = properties.get("parentEventhouseItemId") if isinstance(properties, dict) else None
    try:
        eventhouse = source.by_logical_id(LogicalId(str(parent))) if parent else None
    except InvalidSource:
        eventhouse = None
    if eventhouse is None or eventhouse.type != "Eventhouse":
        raise InvalidSource(
            f"an empty clusterUri is filled from the Eventhouse of KQL database '{database.name}', but its "
            f"{DATABASE_PROPERTIES_PART} names no Eventhouse of the source (parentEventhouseItemId)",
            subject=shown,
            field=where,
        )
    return eventhouse.key


def _shown(item: Item, part_path: str) -> str:
    return f"{item.source_path}/{part_path}" if item.source_path else part_path
