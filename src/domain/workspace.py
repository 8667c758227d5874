"""A workspace: a set of items in which keys and logical ids are unique."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from fabctl.domain.errors import DuplicateItem, UnknownItemType
from fabctl.domain.items import Item, ItemKey, LogicalId


def name_key(key: ItemKey) -> tuple[str, str]:
    """What Fabric compares two items' names by: the type, and the display name ignoring case."""
    return key.type, key.name.casefold()


@dataclass(frozen=True)
class UnrecognisedItem:
    """An item of a type fabctl does not know, set aside by the source reader with its `error`.

    A deployment whose selection and configuration leave it out goes on without it; one that
    would include it is refused with `error`, which names its `.platform` file.
    """

    key: ItemKey
    folder: str
    error: UnknownItemType

    @property
    def type(self) -> str:
        return self.key.type

    @property
    def name(self) -> str:
        return self.key.name


@dataclass
class Workspace:
    """The items of a source folder, or of a target workspace as fabctl sees it.

    `origin` maps each item to where it came from (a source file path), so that an invariant
    broken by two items can name both. Names are unique per type ignoring case, as in Fabric,
    where `Load` and `LOAD` are one name: a second one would fail half-way through a deployment.
    """

    name: str
    id: str | None = None
    _items: dict[ItemKey, Item] = field(default_factory=dict)
    _by_logical_id: dict[LogicalId, ItemKey] = field(default_factory=dict)
    _origin: dict[ItemKey, str] = field(default_factory=dict)
    _by_name_key: dict[tuple[str, str], ItemKey] = field(default_factory=dict)
    _unrecognised: list[UnrecognisedItem] = field(default_factory=list)

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
        same_name = self._by_name_key.get(name_key(item.key))
        if same_name is not None:
            raise DuplicateItem(
                f"the {item.type} '{item.name}' has the name of '{same_name.name}', declared by "
                f"{self._origin[same_name]}, but for case; Fabric compares names ignoring case: rename one",
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
        self._by_name_key[name_key(item.key)] = item.key

    def set_aside(self, item: UnrecognisedItem) -> None:
        """Keep an item of an unknown type out of the workspace, to refuse it only if it is selected."""
        self._unrecognised.append(item)

    @property
    def unrecognised(self) -> tuple[UnrecognisedItem, ...]:
        return tuple(self._unrecognised)

    def refuse_unrecognised(self, selected: Callable[[UnrecognisedItem], bool] = lambda _: True) -> None:
        """Raise the error of the first item set aside that `selected` (every one, by default) takes in."""
        for item in self._unrecognised:
            if selected(item):
                raise item.error

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
