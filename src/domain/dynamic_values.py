"""fabric-cicd's dynamic replacement values in parameter.yml, parsed (resolving one needs the target:
see `application/deployment/binder.py`).

Every form fabric-cicd 1.4.0 documents:
- `$workspace.$id` (or `$workspace.id`), `$workspace.$name`, `$workspace.$name_encoded` (URL-encoded);
- `$workspace.<name>` or `$workspace.<name>.$id`: the id of another workspace, by name;
- `$items.<Type>.<Name>.$<attribute>`, or the older `$items.<Type>.<Name>.<attribute>`;
- `$workspace.<name>.$items.<Type>.<Name>.$<attribute>`: an item of another workspace;
- `$connections.<name>.$id` (or `.id`): the id of a connection the environment declares in
  workspace-config.yaml (fabctl's own: fabric-cicd users paste the GUID instead);
with `<attribute>` one of `id` (any item's), `sqlendpoint` (a Lakehouse's, Mirrored Database's,
Warehouse's or SQL Database's), `sqlendpointid` (a Lakehouse's or Mirrored Database's) and
`queryserviceuri` (an Eventhouse's), in any case: the types fabric-cicd 1.4.0 reads each of (ADR 0028).
A name may hold dots (`$items.Notebook.My.Book.$id`); the type may not.
Anything else that starts with `$` is an error naming the value and every form above.
"""

from __future__ import annotations

from dataclasses import dataclass

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.item_types import KNOWN_ITEM_TYPES
from fabctl.domain.items import ItemKey

ITEMS = "$items."
CONNECTIONS = "$connections."
WORKSPACE = "$workspace."
CROSS_WORKSPACE = ".$items."
ITEM_ATTRIBUTES = ("id", "sqlendpoint", "sqlendpointid", "queryserviceuri")
# The item types each attribute beyond `id` is read of, as fabric-cicd reads them (the gateway knows where
# in each type's properties). Fabric may fill one in a while after creating the item.
ATTRIBUTE_TYPES: dict[str, tuple[str, ...]] = {
    "sqlendpoint": ("Lakehouse", "MirroredDatabase", "Warehouse", "SQLDatabase"),
    "sqlendpointid": ("Lakehouse", "MirroredDatabase"),
    "queryserviceuri": ("Eventhouse",),
}
_WORKSPACE_ATTRIBUTES = {
    "$workspace.$id": "id",
    "$workspace.id": "id",
    "$workspace.$name": "name",
    "$workspace.$name_encoded": "name_encoded",
}
KNOWN_FORMS = (
    "$workspace.$id, $workspace.id, $workspace.$name, $workspace.$name_encoded, $workspace.<name>, "
    "$workspace.<name>.$id, $connections.<name>.$id, $items.<Type>.<Name>.$id, "
    "$items.<Type>.<Name>.$sqlendpoint (of a Lakehouse, MirroredDatabase, Warehouse or SQLDatabase), "
    "$items.<Type>.<Name>.$sqlendpointid (of a Lakehouse or MirroredDatabase), "
    "$items.<Type>.<Name>.$queryserviceuri (of an Eventhouse), the same without the '$' "
    "before the attribute, and $workspace.<name>.$items.<Type>.<Name>.$<attribute>"
)


@dataclass(frozen=True)
class DynamicValue:
    """A parsed dynamic value: an attribute of the target workspace, of another one, or of an item."""

    text: str
    attribute: str  # id | name | name_encoded (a workspace's); or one of ITEM_ATTRIBUTES (an item's)
    workspace: str | None = None  # another workspace, by name; None: the target workspace
    item: ItemKey | None = None  # None: the workspace itself
    connection: str | None = None  # a declared connection's name: its `id`

    @property
    def names_target_item(self) -> bool:
        """It names an item of the target workspace (what a deployment must hold for it to resolve)."""
        return self.item is not None and self.workspace is None


def is_dynamic(value: str) -> bool:
    return value.startswith("$")


def parse_dynamic_value(text: str) -> DynamicValue:
    """The value `text` stands for; `InvalidConfiguration` (without subject) when fabctl does not know it."""
    if text in _WORKSPACE_ATTRIBUTES:
        return DynamicValue(text, _WORKSPACE_ATTRIBUTES[text])
    if text.startswith(ITEMS):
        key, attribute = _item(text, text[len(ITEMS) :], legacy=True)
        return DynamicValue(text, attribute, item=key)
    if text.startswith(WORKSPACE):
        return _workspace(text, text[len(WORKSPACE) :])
    if text.startswith(CONNECTIONS):
        rest = text[len(CONNECTIONS) :]
        name = rest.removesuffix(".$id") if rest.endswith(".$id") else rest.removesuffix(".id")
        if name == rest or not name.strip():
            raise _unknown(text, "a connection has only $id: '$connections.<name>.$id'")
        return DynamicValue(text, "id", connection=name.strip())
    raise _unknown(text, "it is not a dynamic value")


def _workspace(text: str, rest: str) -> DynamicValue:
    if rest.startswith(ITEMS):
        raise _unknown(text, "it names no workspace before '.$items.'")
    if CROSS_WORKSPACE in rest:
        name, _, items = rest.partition(CROSS_WORKSPACE)
        if not name.strip():
            raise _unknown(text, "it names no workspace before '.$items.'")
        if ".$" not in items:
            raise _unknown(text, "its attribute must be written '.$<attribute>'")
        key, attribute = _item(text, items, legacy=False)
        return DynamicValue(text, attribute, workspace=name.strip(), item=key)
    if rest.startswith("$"):
        raise _unknown(text, "the target workspace has only $id, $name and $name_encoded")
    if ".$" in rest and not rest.endswith(".$id"):
        raise _unknown(text, "another workspace has only $id (and $items)")
    name = rest.removesuffix(".$id").strip()
    if not name:
        raise _unknown(text, "it names no workspace")
    return DynamicValue(text, "id", workspace=name)


def _item(text: str, rest: str, *, legacy: bool) -> tuple[ItemKey, str]:
    """(item, attribute) of "<Type>.<Name>.$<attribute>" (or, when `legacy`, "<Type>.<Name>.<attribute>")."""
    if ".$" in rest:
        described, _, attribute = rest.rpartition(".$")
    elif legacy:
        described, _, attribute = rest.rpartition(".")
    else:
        described, attribute = rest, ""
    item_type, _, name = described.partition(".")
    item_type, name, attribute = item_type.strip(), name.strip(), attribute.strip().lower()
    if not item_type or not name:
        raise _unknown(text, "it needs an item type and an item name")
    if item_type not in KNOWN_ITEM_TYPES:
        raise _unknown(text, f"'{item_type}' is not an item type")
    if attribute not in ITEM_ATTRIBUTES:
        raise _unknown(text, f"an item's attribute is one of {', '.join('$' + a for a in ITEM_ATTRIBUTES)}")
    having = ATTRIBUTE_TYPES.get(attribute)
    if having is not None and item_type not in having:
        raise InvalidConfiguration(
            f"'{text}': a {item_type} has no ${attribute}; it is read of {', '.join(having)} items only"
        )
    return ItemKey(item_type, name), attribute


def _unknown(text: str, why: str) -> InvalidConfiguration:
    return InvalidConfiguration(f"unknown dynamic value '{text}' ({why}); fabctl knows {KNOWN_FORMS}")
