"""A workspace: a set of items in which keys and logical ids are unique."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from fabctl.domain.errors import DuplicateItem
from fabctl.domain.items import Item, ItemKey, LogicalId


@dataclass
class Workspace:
    """The items of a source folder, or of a target workspace as fabctl sees it.

    `origin` maps each item to where it came from (a source file path), so that an invariant
    broken by two items can name both.
    """

    name: str
    id: str | None = None
    _items: dict[ItemKey, Item] = field(default_factory=dict)
    _by_logical_id: dict[LogicalId, ItemKey] = field(default_factory=dict)
    _origin: dict[ItemKey, str] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, items: Iterable[Item], workspace_id: str | None = None) -> Workspace:
        workspace = cls(name=name, id=workspace_id)
        for item in items:
            workspace.add(item)
        return workspace

    def add(self, item: Item, origin: str = "") -> None:
        where = origin or str(item.key)
        if item.key in self._items:
            raise DuplicateItem(
                f"an item named '{item.name}' of type {item.type} is already declared by {self._origin[item.key]}",
                subject=where,
                field="metadata.displayName",
            )
        if item.logical_id is not None:
            other = self._by_logical_id.get(item.logical_id)
            if other is not None:
                raise DuplicateItem(
                    f"logical id {item.logical_id} is also used by {self._origin[other]}",
                    subject=where,
                    field="config.logicalId",
                )
            self._by_logical_id[item.logical_id] = item.key
        self._items[item.key] = item
        self._origin[item.key] = where

    def __iter__(self) -> Iterator[Item]:
        return iter(sorted(self._items.values(), key=lambda i: i.key))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: ItemKey) -> Item | None:
        return self._items.get(key)

    def by_logical_id(self, logical_id: LogicalId) -> Item | None:
        key = self._by_logical_id.get(logical_id)
        return None if key is None else self._items[key]

    def origin(self, key: ItemKey) -> str:
        return self._origin.get(key, str(key))

    @property
    def folders(self) -> list[str]:
        """Every folder path an item lives in, parents before children."""
        paths: set[str] = set()
        for item in self._items.values():
            parts = [p for p in item.folder.split("/") if p]
            paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        return sorted(paths, key=lambda p: (p.count("/"), p))
