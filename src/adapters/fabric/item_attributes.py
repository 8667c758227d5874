"""Where each type's `$items` attribute lives in its typed route's answer (`GET .../{segment}/{id}`), as
fabric-cicd 1.4.0 reads them: the SQL endpoint of a Lakehouse or Mirrored Database is in
`sqlEndpointProperties`, a Warehouse's is its `connectionString`, a SQL Database's its `serverFqdn`; an
Eventhouse's query service is `queryServiceUri`. Shared by the HTTP gateway and the local one, which
read the same `properties`. Which types have which attribute is the domain's (`ATTRIBUTE_TYPES`)."""

from __future__ import annotations

from typing import Any

_SQL_ENDPOINT = {
    "sqlendpoint": ("sqlEndpointProperties", "connectionString"),
    "sqlendpointid": ("sqlEndpointProperties", "id"),
}
# item type -> (its typed route's segment, {attribute: path of keys within `properties`})
PROPERTY_PATHS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "Lakehouse": (
        "lakehouses",
        {
            "sqlendpoint": ("sqlEndpointProperties", "connectionString"),
            "sqlendpointid": ("sqlEndpointProperties", "id"),
        },
    ),
    "MirroredDatabase": (
        "mirroredDatabases",
        {
            "sqlendpoint": ("sqlEndpointProperties", "connectionString"),
            "sqlendpointid": ("sqlEndpointProperties", "id"),
        },
    ),
    "Warehouse": ("warehouses", {"sqlendpoint": ("connectionString",)}),
    "SQLDatabase": ("sqlDatabases", {"sqlendpoint": ("serverFqdn",)}),
    "Eventhouse": ("eventhouses", {"queryserviceuri": ("queryServiceUri",)}),
}


def typed_segment(item_type: str, attribute: str) -> str:
    """The typed route to read `attribute` of an `item_type` from; `ValueError` for one it has not."""
    segment, paths = PROPERTY_PATHS.get(item_type, ("", {}))
    if attribute not in paths:
        raise ValueError(f"a {item_type} has no attribute {attribute!r}")
    return segment


def attribute_of(properties: Any, item_type: str, attribute: str) -> str | None:
    """The attribute from an item's `properties`; None while it is null or absent (still provisioning)."""
    typed_segment(item_type, attribute)
    value = properties
    for key in PROPERTY_PATHS[item_type][1][attribute]:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None
