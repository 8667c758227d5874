"""Items: what a workspace holds, identified across environments by type and display name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import InvalidSource

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, order=True)
class ItemKey:
    """How items are matched between source and target: type plus display name."""

    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.name}.{self.type}"

    @classmethod
    def parse(cls, text: str) -> ItemKey:
        """'Load Sales.Notebook' -> ItemKey('Notebook', 'Load Sales'), as git folders name items."""
        name, dot, item_type = text.rpartition(".")
        if not dot or not name or not item_type:
            raise InvalidSource(f"'{text}' is not of the form <Name>.<Type>", field="items")
        return cls(item_type, name)


@dataclass(frozen=True)
class LogicalId:
    """The environment-independent GUID git integration gives every item."""

    value: str

    def __post_init__(self) -> None:
        if not _GUID.fullmatch(self.value):
            raise InvalidSource(f"'{self.value}' is not a GUID", field="config.logicalId")
        object.__setattr__(self, "value", self.value.lower())

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Item:
    """An item as the source declares it (no id) or as a workspace holds it (with its id)."""

    key: ItemKey
    logical_id: LogicalId | None = None
    description: str = ""
    folder: str = ""  # workspace folder path, "/"-separated, "" for the root
    definition: ItemDefinition = field(default_factory=ItemDefinition)
    id: str | None = None
    creation_payload: dict[str, object] | None = None
    source_path: str = ""  # the item's folder relative to the source root, for file_path filters

    @property
    def type(self) -> str:
        return self.key.type

    @property
    def name(self) -> str:
        return self.key.name

    def with_definition(self, definition: ItemDefinition) -> Item:
        return replace(self, definition=definition)

    def with_id(self, item_id: str) -> Item:
        return replace(self, id=item_id)
