"""Two things fabric-cicd 1.4.0 does on deployment that fabctl does too (found by
tests/e2e/test_two_tools_same_result.py): an empty KQL `clusterUri` is filled with the query service URI of
the Eventhouse holding the database, and a Lakehouse whose metadata has a `defaultSchema` is created with
schemas enabled."""

from __future__ import annotations

import json

import pytest

from fabctl.domain.binding import BindingContext, bind
from fabctl.domain.creation import creation_payload_of
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidSource
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace

HOUSE_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000001"
DB_LOGICAL = "aaaaaaaa-0000-4000-8000-000000000002"
DB_TARGET = "bbbbbbbb-1111-4111-9111-000000000002"
WORKSPACE = "cccccccc-2222-4222-a222-000000000000"
HOUSE_URI = "https://trd-house.z0.kusto.fabric.local"


def item(item_type: str, name: str, logical_id: str, parts: dict[str, object]) -> Item:
    return Item(
        ItemKey(item_type, name),
        logical_id=LogicalId(logical_id),
        definition=ItemDefinition.of(DefinitionPart.from_text(p, json.dumps(v, indent=2)) for p, v in parts.items()),
        source_path=f"{name}.{item_type}",
    )


HOUSE = item("Eventhouse", "House", HOUSE_LOGICAL, {"EventhouseProperties.json": {}})
DATABASE = item(
    "KQLDatabase", "Telemetry", DB_LOGICAL, {"DatabaseProperties.json": {"parentEventhouseItemId": HOUSE_LOGICAL}}
)


def queryset(database_id: str = DB_LOGICAL, cluster: str = "") -> Item:
    source = {"id": "q1", "clusterUri": cluster, "type": "Fabric", "databaseItemId": database_id}
    return item("KQLQueryset", "Queries", "aaaaaaaa-0000-4000-8000-000000000003",
                {"RealTimeQueryset.json": {"queryset": {"dataSources": [source]}}})  # fmt: skip


def dashboard(name: str = "Telemetry") -> Item:
    source = {"id": "d1", "name": name, "clusterUri": "", "database": DB_LOGICAL}
    return item(
        "KQLDashboard",
        "Board",
        "aaaaaaaa-0000-4000-8000-000000000004",
        {"RealTimeDashboard.json": {"dataSources": [source]}},
    )


def context(source: Workspace, asked: list[str]) -> BindingContext:
    def resolve(value: str) -> str:
        asked.append(value)
        return {"$items.Eventhouse.House.$queryserviceuri": HOUSE_URI}[value]

    return BindingContext("test", WORKSPACE, "Test", {DB_LOGICAL: DB_TARGET}, {}, resolve, source=source)


def bound_json(target: Item, asked: list[str] | None = None) -> object:
    source = Workspace.of("source", [HOUSE, DATABASE, target])
    part = bind(target, ParameterRules(), context(source, asked if asked is not None else [])).content_parts[0]
    assert part.text is not None
    return json.loads(part.text)


def test_an_empty_queryset_cluster_is_the_query_service_of_its_databases_eventhouse() -> None:
    asked: list[str] = []
    document = bound_json(queryset(), asked)

    assert document == {
        "queryset": {
            "dataSources": [{"id": "q1", "clusterUri": HOUSE_URI, "type": "Fabric", "databaseItemId": DB_TARGET}]
        }
    }
    assert asked == ["$items.Eventhouse.House.$queryserviceuri"]


def test_an_empty_dashboard_cluster_is_found_by_the_databases_name() -> None:
    document = bound_json(dashboard())

    assert document == {
        "dataSources": [{"id": "d1", "name": "Telemetry", "clusterUri": HOUSE_URI, "database": DB_TARGET}]
    }


def test_a_cluster_that_is_set_stays_as_it_is() -> None:
    asked: list[str] = []
    document = bound_json(queryset(cluster="https://elsewhere.kusto.windows.net"), asked)

    assert document["queryset"]["dataSources"][0]["clusterUri"] == "https://elsewhere.kusto.windows.net"  # type: ignore[index]
    assert asked == []


def test_an_empty_cluster_of_a_database_the_source_lacks_is_an_error_naming_the_part_and_field() -> None:
    with pytest.raises(InvalidSource) as raised:
        bound_json(dashboard(name="Missing"))

    assert raised.value.subject == "Board.KQLDashboard/RealTimeDashboard.json"
    assert raised.value.field == "dataSources[0].clusterUri"
    assert "'Missing'" in raised.value.message


def test_a_lakehouse_with_a_default_schema_is_created_with_schemas_enabled() -> None:
    lakehouse = item("Lakehouse", "Lake", HOUSE_LOGICAL, {"lakehouse.metadata.json": {"defaultSchema": "dbo"}})

    assert creation_payload_of(lakehouse) == {"enableSchemas": True}


def test_a_lakehouse_without_schemas_and_a_warehouse_keep_their_declared_payload() -> None:
    plain = item("Lakehouse", "Lake", HOUSE_LOGICAL, {"lakehouse.metadata.json": {}})
    warehouse = Item(ItemKey("Warehouse", "Wh"), creation_payload={"defaultCollation": "Latin1_General_100_BIN2_UTF8"})

    assert creation_payload_of(plain) is None
    assert creation_payload_of(warehouse) == {"defaultCollation": "Latin1_General_100_BIN2_UTF8"}
