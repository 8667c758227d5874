"""Reads a workspace exported by Fabric git integration from a folder on disk.

Layout (see docs/anchors.md, section 1):

- an *item folder* is any directory holding a `.platform` file; every other file below it is a
  definition part, with a "/"-separated path relative to the item folder. A part's bytes are read
  when they are needed, and again each time: the workspace holds paths, not contents, so that a
  deployment holds one item's definition at a time whatever the size of the source. A file that
  vanishes or becomes unreadable after the walk gives an `InvalidSource` naming it when it is read;
- directories without `.platform` are *workspace folders*; an item's `folder` is the "/"-joined
  path of the workspace folders above it ("" at the root);
- child items live in `<item>/.children/<child>/` and are read as items in the parent's folder;
- hidden directories (`.git`, `.fabctl`, `.pbi`, ...) are skipped everywhere, except `.children`;
- files directly in workspace folders (README.md, parameter.yml, ...) are not items and are ignored.

Errors name the file as a path joined to `source_dir` as the caller gave it, plus the JSON field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from fabctl.adapters.source.config_files import (
    Guid,
    NonEmptyStr,
    read_parameters,
    read_release_config,
    suggest,
    validate_model,
)
from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart, ItemDefinition
from fabctl.domain.environments import ReleaseConfig
from fabctl.domain.errors import InvalidSource, UnknownItemType
from fabctl.domain.item_types import KNOWN_ITEM_TYPES
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace

CHILDREN_DIR = ".children"


class _Open(BaseModel):
    # `.platform` carries more than fabctl needs ($schema, config.version, ...): keep it lenient.
    model_config = ConfigDict(extra="ignore", frozen=True)


class PlatformMetadata(_Open):
    type: NonEmptyStr
    displayName: NonEmptyStr
    description: str | None = None
    creationPayload: dict[str, Any] | None = None


class PlatformConfig(_Open):
    logicalId: Guid


class PlatformFile(_Open):
    metadata: PlatformMetadata
    config: PlatformConfig


class FabricGitFolderReader:
    """The `SourceReader` for folders in Fabric git integration format, and the YAML files."""

    def read_workspace(self, source_dir: str) -> Workspace:
        root = Path(source_dir)
        if not root.exists():
            raise InvalidSource("source folder does not exist", subject=source_dir)
        if not root.is_dir():
            raise InvalidSource("source folder is not a directory", subject=source_dir)
        if (root / PLATFORM_FILE).is_file():
            raise InvalidSource(
                "is an item folder, not a workspace folder; pass the folder that contains it",
                subject=source_dir,
            )
        walk = _FolderWalk(root, source_dir, Workspace(name=root.resolve().name))
        walk.workspace_folder(root, ())
        if not len(walk.workspace):
            raise InvalidSource(
                "contains no items: expected item folders such as 'Load Sales.Notebook' holding "
                "a .platform file (Fabric git integration format)",
                subject=source_dir,
            )
        return walk.workspace

    def read_release_config(self, path: str) -> ReleaseConfig:
        return read_release_config(path)

    def read_parameters(self, path: str, *, required: bool = False) -> ParameterRules:
        return read_parameters(path, required=required)


class _FolderWalk:
    def __init__(self, root: Path, shown_root: str, workspace: Workspace) -> None:
        self.root = root
        self.shown_root = shown_root
        self.workspace = workspace

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def shown(self, path: Path) -> str:
        return (Path(self.shown_root) / path.relative_to(self.root)).as_posix()

    def workspace_folder(self, directory: Path, folder: tuple[str, ...]) -> None:
        for entry in _subdirectories(directory):
            if (entry / PLATFORM_FILE).is_file():
                self.item(entry, "/".join(folder))
            elif _named_like_item(entry.name):
                raise _missing_platform(self.shown(entry / PLATFORM_FILE))
            else:
                self.workspace_folder(entry, (*folder, entry.name))

    def item(self, directory: Path, folder: str) -> None:
        platform_path = directory / PLATFORM_FILE
        origin = self.shown(platform_path)
        platform = self.platform(platform_path)
        parts: list[DefinitionPart] = []
        self.collect_parts(_ItemFolder(str(directory), self.shown(directory)), directory, directory, parts)
        item = Item(
            key=ItemKey(platform.metadata.type, platform.metadata.displayName),
            logical_id=LogicalId(platform.config.logicalId),
            description=platform.metadata.description or "",
            folder=folder,
            definition=ItemDefinition.of(parts),
            creation_payload=platform.metadata.creationPayload,
            source_path=self.relative(directory),
        )
        self.workspace.add(item, origin=origin)
        children = directory / CHILDREN_DIR
        if children.is_dir():
            for child in _subdirectories(children):
                if not (child / PLATFORM_FILE).is_file():
                    raise _missing_platform(self.shown(child / PLATFORM_FILE))
                self.item(child, folder)

    def collect_parts(self, files: _ItemFolder, item_dir: Path, directory: Path, parts: list[DefinitionPart]) -> None:
        for entry in sorted(directory.iterdir(), key=lambda p: p.name):
            if entry.is_dir():
                if not entry.name.startswith("."):
                    self.collect_parts(files, item_dir, entry, parts)
            elif not (directory == item_dir and entry.name == PLATFORM_FILE):
                try:  # opened, not read: an unreadable file is reported now, not halfway through a deploy
                    entry.open("rb").close()
                except OSError as e:
                    raise InvalidSource(f"cannot be read: {e.strerror or e}", subject=self.shown(entry)) from e
                relative = entry.relative_to(item_dir).as_posix()
                parts.append(DefinitionPart(relative, _FileLoader(files, relative), size=entry.stat().st_size))

    def platform(self, path: Path) -> PlatformFile:
        shown = self.shown(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as e:
            raise InvalidSource(f"cannot be read: {e.strerror or e}", subject=shown) from e
        except UnicodeDecodeError as e:
            raise InvalidSource("is not UTF-8 text", subject=shown) from e
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidSource(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}", subject=shown) from e
        if not isinstance(data, dict):
            raise InvalidSource("must be a JSON object with 'metadata' and 'config'", subject=shown)
        platform: PlatformFile = validate_model(PlatformFile, data, shown, InvalidSource)
        item_type = platform.metadata.type
        if item_type not in KNOWN_ITEM_TYPES:
            hint = suggest(item_type, KNOWN_ITEM_TYPES) or ("; known types: " + ", ".join(sorted(KNOWN_ITEM_TYPES)))
            raise UnknownItemType(f"unknown item type '{item_type}'{hint}", subject=shown, field="metadata.type")
        return platform


class _ItemFolder:
    """An item's folder, as opened and as the user gave it: shared by the loaders of its parts."""

    __slots__ = ("path", "shown")

    def __init__(self, path: str, shown: str) -> None:
        self.path = path
        self.shown = shown


class _FileLoader:
    """Reads the file each time it is called; failures name the file as the user gave it.

    One per part of every item, kept for the whole run, so it holds no string of its own: its
    folder is shared with the item's other parts and its path is the part's (docs/benchmarks.md).
    """

    __slots__ = ("folder", "relative")

    def __init__(self, folder: _ItemFolder, relative: str) -> None:
        self.folder = folder
        self.relative = relative

    def __call__(self) -> bytes:
        try:
            with open(os.path.join(self.folder.path, self.relative), "rb") as file:
                return file.read()
        except FileNotFoundError as e:
            raise InvalidSource(
                "no longer exists: it was removed after the source folder was read", subject=self.shown
            ) from e
        except OSError as e:
            raise InvalidSource(f"cannot be read: {e.strerror or e}", subject=self.shown) from e

    @property
    def shown(self) -> str:
        return f"{self.folder.shown}/{self.relative}"


def _subdirectories(directory: Path) -> list[Path]:
    """Visible subdirectories, by name, so that errors and origins are deterministic."""
    return sorted(
        (p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def _named_like_item(name: str) -> bool:
    _, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix in KNOWN_ITEM_TYPES


def _missing_platform(shown: str) -> InvalidSource:
    return InvalidSource(
        "missing .platform: a folder named '<name>.<ItemType>' is an item folder and needs one "
        "(export the item again with Fabric git integration, or rename the folder)",
        subject=shown,
    )
