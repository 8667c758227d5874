"""fabric-cicd's dynamic values, parsed: every documented form, and a clear error for anything else."""

from __future__ import annotations

import pytest

from fabctl.domain.dynamic_values import KNOWN_FORMS, DynamicValue, parse_dynamic_value
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey

LAKE = ItemKey("Lakehouse", "Lake")


@pytest.mark.parametrize(
    ("text", "attribute", "workspace", "item"),
    [
        ("$workspace.$id", "id", None, None),
        ("$workspace.id", "id", None, None),
        ("$workspace.$name", "name", None, None),
        ("$workspace.$name_encoded", "name_encoded", None, None),
        ("$workspace.Shared", "id", "Shared", None),
        ("$workspace.Shared.$id", "id", "Shared", None),
        ("$workspace.Team.Shared (prod)", "id", "Team.Shared (prod)", None),
        ("$items.Lakehouse.Lake.$id", "id", None, LAKE),
        ("$items.Lakehouse.Lake.id", "id", None, LAKE),
        ("$items.Lakehouse.Lake.$sqlendpoint", "sqlendpoint", None, LAKE),
        ("$items.Lakehouse.Lake.sqlendpoint", "sqlendpoint", None, LAKE),
        ("$items.Lakehouse.Lake.$SQLEndpointId", "sqlendpointid", None, LAKE),
        ("$items.Eventhouse.Events.$queryserviceuri", "queryserviceuri", None, ItemKey("Eventhouse", "Events")),
        ("$items.Notebook.My.Book.$id", "id", None, ItemKey("Notebook", "My.Book")),
        ("$items.Notebook.My.Book.id", "id", None, ItemKey("Notebook", "My.Book")),
        ("$workspace.Shared.$items.Lakehouse.Lake.$sqlendpointid", "sqlendpointid", "Shared", LAKE),
        ("$workspace.Shared.$items.Notebook.Load.$id", "id", "Shared", ItemKey("Notebook", "Load")),
    ],
)
def test_every_documented_form_parses(text: str, attribute: str, workspace: str | None, item: ItemKey | None) -> None:
    assert parse_dynamic_value(text) == DynamicValue(text, attribute, workspace, item)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("$nonsense", "not a dynamic value"),
        ("$itemz.Notebook.Load.$id", "not a dynamic value"),
        ("$workspace.$nope", "only $id, $name and $name_encoded"),
        ("$workspace.Shared.$name", "only $id"),
        ("$workspace.", "names no workspace"),
        ("$workspace.$items.Notebook.Load.$id", "names no workspace"),
        ("$workspace. .$items.Notebook.Load.$id", "names no workspace"),
        ("$workspace.Shared.$items.Notebook.Load.id", "'.$<attribute>'"),
        ("$items.Notebook.Load", "an item type and an item name"),
        ("$items.Notebook.$id", "an item type and an item name"),
        ("$items.Notebok.Load.$id", "'Notebok' is not an item type"),
        ("$items.Notebook.Load.$name", "one of $id, $sqlendpoint, $sqlendpointid, $queryserviceuri"),
    ],
)
def test_anything_else_is_an_error_naming_it_and_the_forms_fabctl_knows(text: str, why: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        parse_dynamic_value(text)

    assert f"'{text}'" in raised.value.message and why in raised.value.message
    assert KNOWN_FORMS in raised.value.message


@pytest.mark.parametrize(
    ("text", "needed"),
    [
        ("$items.Notebook.Load.$sqlendpoint", "Lakehouse, MirroredDatabase, Warehouse, SQLDatabase items only"),
        ("$items.Warehouse.Store.$sqlendpointid", "Lakehouse, MirroredDatabase items only"),
        ("$items.Lakehouse.Lake.$queryserviceuri", "Eventhouse items only"),
        ("$items.KQLDatabase.Db.$queryserviceuri", "Eventhouse items only"),  # fabric-cicd reads none of a KQLDatabase
    ],
)
def test_a_provisioned_attribute_of_another_item_type_names_the_types_that_have_it(text: str, needed: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        parse_dynamic_value(text)
    assert f"'{text}'" in raised.value.message and needed in raised.value.message


@pytest.mark.parametrize(
    "text",
    [
        "$items.Warehouse.Store.$sqlendpoint",
        "$items.SQLDatabase.Db.$sqlendpoint",
        "$items.MirroredDatabase.Mirror.$sqlendpoint",
        "$items.MirroredDatabase.Mirror.sqlendpointid",
    ],
)
def test_the_sql_endpoint_of_every_type_fabric_cicd_reads_it_of(text: str) -> None:
    assert parse_dynamic_value(text).attribute in ("sqlendpoint", "sqlendpointid")


def test_only_a_value_naming_an_item_of_the_target_needs_the_deployment_to_hold_it() -> None:
    assert parse_dynamic_value("$items.Lakehouse.Lake.$id").names_target_item
    assert not parse_dynamic_value("$workspace.Shared.$items.Lakehouse.Lake.$id").names_target_item
    assert not parse_dynamic_value("$workspace.$id").names_target_item
