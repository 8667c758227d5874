"""Reads a workspace exported by Fabric git integration from a folder on disk.

Layout (see docs/reference/anchors.md, section 1):

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

Only regular files are read (a FIFO or a device in an item folder is an error, never a wait), names
must be UTF-8, and a folder linked back into itself is an error. An item of a type fabctl does not
know is set aside on the workspace (`Workspace.unrecognised`): it is an error only for a deployment
that selects it.

Errors name the file as a path joined to `source_dir` as the caller gave it, plus the JSON field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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
from fabctl.adapters.source.documents import DocumentProblem, check_document
from fabctl.adapters.source.regular_files import open_regular, read_regular, reason
from fabctl.domain.definition import PLATFORM_FILE, DefinitionPart, ItemDefinition
from fabctl.domain.environments import ReleaseConfig
from fabctl.domain.errors import InvalidSource, UnknownItemType
from fabctl.domain.item_types import KNOWN_ITEM_TYPES
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.redaction import SecretValues
from fabctl.domain.workspace import UnrecognisedItem, Workspace

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
    """The `SourceReader` for folders in Fabric git integration format, and the YAML files.

    `secrets` is where the rules it reads get `$secret:` values from, when they are bound."""

    def __init__(self, secrets: SecretValues | None = None) -> None:
        self._secrets = secrets

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
        try:
            walk.workspace_folder(root)
        except RecursionError:  # `.children` inside `.children`, hundreds deep
            raise InvalidSource("items are nested inside each other too deeply", subject=source_dir) from None
        if not len(walk.workspace):
            walk.workspace.refuse_unrecognised()  # its only items are of unknown types: say so
            raise InvalidSource(
                "contains no items: expected item folders such as 'Load Sales.Notebook' holding "
                "a .platform file (Fabric git integration format)",
                subject=source_dir,
            )
        return walk.workspace

    def read_release_config(self, path: str) -> ReleaseConfig:
        return read_release_config(path)

    def read_parameters(self, path: str, *, required: bool = False) -> ParameterRules:
        return read_parameters(path, required=required, secrets=self._secrets)


class _FolderWalk:
    def __init__(self, root: Path, shown_root: str, workspace: Workspace) -> None:
        self.root = root
        self.shown_root = shown_root
        self.workspace = workspace

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def shown(self, path: Path) -> str:
        # An undecodable byte in a name is shown escaped (\xff): the message must print as UTF-8.
        joined = (Path(self.shown_root) / path.relative_to(self.root)).as_posix()
        return os.fsencode(joined).decode("utf-8", "backslashreplace")

    def workspace_folder(self, root: Path) -> None:
        """Every item below `root`, walked depth first by name (without recursion: depth is the user's)."""
        for directory, folder in self.directories(root, item_folders=True):
            if (directory / PLATFORM_FILE).exists() or (directory / PLATFORM_FILE).is_symlink():
                self.item(directory, "/".join(folder[:-1]))
            elif _named_like_item(directory.name):
                raise _missing_platform(self.shown(directory / PLATFORM_FILE))

    def directories(self, root: Path, *, item_folders: bool) -> Iterator[tuple[Path, tuple[str, ...]]]:
        """The visible directories below `root` with their path of names, parents first.

        With `item_folders`, a directory holding `.platform` is given but not entered (it is an
        item). A directory that is one of its own ancestors (a link back) is an error, not a loop.
        """
        stack: list[tuple[Iterator[Path], tuple[str, ...], list[tuple[int, int]]]] = [
            (iter(self.subdirectories(root)), (), [_identity(root)])
        ]
        while stack:
            entries, folder, ancestors = stack[-1]
            directory = next(entries, None)
            if directory is None:
                stack.pop()
                continue
            identity = _identity(directory)
            if identity in ancestors:
                raise InvalidSource(
                    "links back into a folder above it, so the source would never end; remove the link",
                    subject=self.shown(directory),
                )
            names = (*folder, directory.name)
            yield directory, names
            if not (item_folders and (directory / PLATFORM_FILE).exists()):
                stack.append((iter(self.subdirectories(directory)), names, [*ancestors, identity]))

    def subdirectories(self, directory: Path) -> list[Path]:
        """Visible subdirectories, by name, so that errors and origins are deterministic."""
        found = []
        for path in _entries(directory, self.shown(directory)):
            if path.is_dir() and not path.name.startswith("."):
                self.check_name(path)
                found.append(path)
        return found

    def check_name(self, path: Path) -> None:
        try:
            path.name.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidSource(
                "the name is not UTF-8 text (Fabric names are): rename it", subject=self.shown(path)
            ) from None

    def item(self, directory: Path, folder: str) -> None:
        platform_path = directory / PLATFORM_FILE
        origin = self.shown(platform_path)
        platform = self.platform(platform_path)
        key = ItemKey(platform.metadata.type, platform.metadata.displayName)
        if key.type not in KNOWN_ITEM_TYPES:
            hint = suggest(key.type, KNOWN_ITEM_TYPES) or ("; known types: " + ", ".join(sorted(KNOWN_ITEM_TYPES)))
            error = UnknownItemType(f"unknown item type '{key.type}'{hint}", subject=origin, field="metadata.type")
            self.workspace.set_aside(UnrecognisedItem(key, folder, error))
        else:
            item = Item(
                key=key,
                logical_id=LogicalId(platform.config.logicalId),
                description=platform.metadata.description or "",
                folder=folder,
                definition=ItemDefinition.of(self.parts(directory)),
                creation_payload=platform.metadata.creationPayload,
                source_path=self.relative(directory),
            )
            self.workspace.add(item, origin=origin)
        children = directory / CHILDREN_DIR
        if children.is_dir():
            for child in self.subdirectories(children):
                if not (child / PLATFORM_FILE).exists():
                    raise _missing_platform(self.shown(child / PLATFORM_FILE))
                self.item(child, folder)

    def parts(self, item_dir: Path) -> list[DefinitionPart]:
        """Every file below the item folder but its `.platform`, in name order, folders at their place."""
        files = _ItemFolder(str(item_dir), self.shown(item_dir))
        parts: list[DefinitionPart] = []
        directories = [(item_dir, ()), *self.directories(item_dir, item_folders=False)]
        for directory, _ in directories:
            for entry in _entries(directory, self.shown(directory)):
                if (directory == item_dir and entry.name == PLATFORM_FILE) or entry.is_dir():
                    continue
                self.check_name(entry)
                try:  # opened, not read: an unreadable file is reported now, not halfway through a deploy
                    with open_regular(entry) as file:
                        size = os.fstat(file.fileno()).st_size
                except OSError as e:
                    raise InvalidSource(reason(e), subject=self.shown(entry)) from e
                relative = entry.relative_to(item_dir).as_posix()
                parts.append(DefinitionPart(relative, _FileLoader(files, relative), size=size))
        return sorted(parts, key=lambda part: part.path.split("/"))

    def platform(self, path: Path) -> PlatformFile:
        shown = self.shown(path)
        try:
            text = read_regular(path).decode("utf-8-sig")
        except OSError as e:
            raise InvalidSource(reason(e), subject=shown) from e
        except UnicodeDecodeError as e:
            raise InvalidSource("is not UTF-8 text", subject=shown) from e
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidSource(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}", subject=shown) from e
        except RecursionError:
            raise InvalidSource("malformed JSON: arrays or objects nested too deeply", subject=shown) from None
        except ValueError as e:  # a number of more than 4,300 digits
            raise InvalidSource(f"malformed JSON: {str(e).split(';')[0]}", subject=shown) from e
        if not isinstance(data, dict):
            raise InvalidSource("must be a JSON object with 'metadata' and 'config'", subject=shown)
        try:
            check_document(data)
        except DocumentProblem as e:
            raise InvalidSource(e.message, subject=shown, field=e.field) from None
        platform: PlatformFile = validate_model(PlatformFile, data, shown, InvalidSource)
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
            return read_regular(os.path.join(self.folder.path, self.relative))
        except FileNotFoundError as e:
            raise InvalidSource(
                "no longer exists: it was removed after the source folder was read", subject=self.shown
            ) from e
        except OSError as e:
            raise InvalidSource(reason(e), subject=self.shown) from e

    @property
    def shown(self) -> str:
        return f"{self.folder.shown}/{self.relative}"


def _entries(directory: Path, shown: str) -> list[Path]:
    """What `directory` holds, by name."""
    try:
        return sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as e:
        raise InvalidSource(f"cannot be read: {e.strerror or e}", subject=shown) from e


def _identity(directory: Path) -> tuple[int, int]:
    status = directory.stat()
    return status.st_dev, status.st_ino


def _named_like_item(name: str) -> bool:
    _, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix in KNOWN_ITEM_TYPES


def _missing_platform(shown: str) -> InvalidSource:
    return InvalidSource(
        "missing .platform: a folder named '<name>.<ItemType>' is an item folder and needs one "
        "(export the item again with Fabric git integration, or rename the folder)",
        subject=shown,
    )
