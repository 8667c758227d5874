"""Which items of the source a deployment (or a plan) covers.

Every value is either an exact value or a regular expression that must match the whole value:
- `items`: an item's "Name.Type" or its name; a value that matches no item is an error (a typo
  must not silently deploy nothing);
- `item_types`: an item's type;
- `folders`: a folder path, which covers its subfolders too;
- `exclude`: an item's "Name.Type", name, type or folder path (subfolders included).
An item is selected when it matches every include filter given (and any value within one), and no
exclusion. `with_dependencies` then adds what the selected items reference, transitively, except
what is excluded: an excluded dependency binds to the one the target already holds. A value that
is not a regular expression (`Sales [old`) is an exact value; one that is a regular expression too
large for `re` to compile (`a{99999999999}`) is an error.

The same rules decide whether an item of an unknown type (`Workspace.unrecognised`) is selected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, fields
from typing import Protocol

from fabctl.domain.environments import Environment
from fabctl.domain.errors import InvalidConfiguration, NotFound
from fabctl.domain.items import ItemKey
from fabctl.domain.references import references_of
from fabctl.domain.regex import RegexTooLarge, compile_regex
from fabctl.domain.workspace import Workspace


class Selectable(Protocol):
    """What selection looks at: an `Item`, or an item of an unknown type set aside by the reader."""

    @property
    def key(self) -> ItemKey: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def folder(self) -> str: ...


@dataclass(frozen=True)
class Selection:
    items: tuple[str, ...] = ()
    item_types: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    with_dependencies: bool = False

    @property
    def is_everything(self) -> bool:
        return not (self.items or self.item_types or self.folders or self.exclude)

    def check(self, source_dir: str) -> None:
        """Refuse a value that is a regular expression `re` cannot compile, naming its field."""
        for field in fields(self):
            values = getattr(self, field.name)
            for pattern in values if isinstance(values, tuple) else ():
                try:
                    compile_regex(pattern)
                except RegexTooLarge as e:
                    shown = pattern if len(pattern) <= 60 else f"{pattern[:60]}... ({len(pattern)} characters)"
                    why = str(e).removeprefix("invalid regex: ")
                    raise InvalidConfiguration(
                        f"'{shown}' is beyond what a regular expression can hold: {why} "
                        "(give an exact name or a smaller regular expression)",
                        subject=source_dir,
                        field=field.name,
                    ) from None
                except ValueError:
                    continue  # not a regex: it was meant as an exact value


def _matches(pattern: str, value: str) -> bool:
    if pattern == value:
        return True
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False  # not a regex: it was meant as an exact value


def _in_folder(pattern: str, folder: str) -> bool:
    parts = folder.split("/") if folder else []
    return any(_matches(pattern, "/".join(parts[:n])) for n in range(1, len(parts) + 1))


def _excluded(item: Selectable, patterns: tuple[str, ...]) -> bool:
    values = (str(item.key), item.name, item.type)
    return any(any(_matches(p, v) for v in values) or _in_folder(p, item.folder) for p in patterns)


def _chosen(item: Selectable, selection: Selection) -> bool:
    """Whether `item` matches every include filter given, and no exclusion."""
    return (
        (not selection.items or any(_matches(p, str(item.key)) or _matches(p, item.name) for p in selection.items))
        and (not selection.item_types or any(_matches(p, item.type) for p in selection.item_types))
        and (not selection.folders or any(_in_folder(p, item.folder) for p in selection.folders))
        and not _excluded(item, selection.exclude)
    )


def select_items(
    source: Workspace,
    selection: Selection,
    source_dir: str = "",
    references: Mapping[ItemKey, Set[ItemKey]] | None = None,
) -> set[ItemKey] | None:
    """The keys of the selected items, or None for the whole source.

    `references` (as from `references_by_key`) saves reading definitions again to follow them.
    """
    if selection.is_everything:
        return None
    selection.check(source_dir)
    for pattern in selection.items:
        if not any(_matches(pattern, str(i.key)) or _matches(pattern, i.name) for i in source):
            raise NotFound(f"no item '{pattern}' in the source", subject=source_dir, field="items")
    chosen = {item.key for item in source if _chosen(item, selection)}
    if selection.with_dependencies:
        known = references or {}
        pending = list(chosen)
        while pending:
            item = source.get(pending.pop())
            assert item is not None
            for key in known[item.key] if item.key in known else references_of(item, source):
                other = source.get(key)
                if key not in chosen and other is not None and not _excluded(other, selection.exclude):
                    chosen.add(key)
                    pending.append(key)
    return chosen


def environment_scope(source: Workspace, env: Environment) -> set[ItemKey] | None:
    """What the environment's configuration lets a deployment touch, or None for everything.

    fabctl's `item_types_in_scope` / `exclude` and fabric-cicd's `publish` settings; these are
    searched (not full-matched) as fabric-cicd does: `exclude` in "Name.Type", `exclude_names` in
    the name, `folder_exclude` in "/<folder path>".
    """
    if not _scoped(env):
        return None
    return {item.key for item in source if in_scope(item, env)}


def _scoped(env: Environment) -> bool:
    return bool(env.item_types_in_scope or env.exclude or env.exclude_names or env.folder_exclude
                or env.items_to_include or env.skip_publish)  # fmt: skip


def in_scope(item: Selectable, env: Environment) -> bool:
    """Whether the environment's configuration lets a deployment touch `item` (see `environment_scope`)."""
    return not env.skip_publish and (
        (not env.item_types_in_scope or item.type in env.item_types_in_scope)
        and not any(re.search(p, str(item.key)) for p in env.exclude)
        and not any(re.search(p, item.name) for p in env.exclude_names)
        and not any(re.search(p, "/" + item.folder) for p in env.folder_exclude if item.folder)
        and (not env.items_to_include or str(item.key) in env.items_to_include)
    )


def refuse_selected_unknown_types(source: Workspace, selection: Selection, env: Environment) -> None:
    """Raise the error of an item of an unknown type that the selection and the environment take in.

    One they leave out does not block the rest: fabctl cannot deploy it, and is not asked to.
    """
    source.refuse_unrecognised(
        lambda item: (selection.is_everything or _chosen(item, selection)) and in_scope(item, env)
    )
