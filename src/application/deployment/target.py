"""The target workspace as the deployment sees it: its items, folders and (lazily) definitions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from fabctl.application.errors import ItemNotFound
from fabctl.application.ports import FabricGateway, RemoteFolder, RemoteItem, WorkspaceInfo
from fabctl.domain.commands import DEFAULT_WORKERS
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.environments import Environment
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey

# Concurrent definition reads while planning. Fabric answers getDefinition with a long-running
# operation too, so a read mostly waits, like a deploy worker (ADR 12); the throttle gate is shared.
READ_WORKERS = DEFAULT_WORKERS


def find_workspace(gateway: FabricGateway, env: Environment, config_source: str) -> WorkspaceInfo | None:
    if not env.workspace_id:
        return gateway.find_workspace(env.workspace_name)
    try:
        return gateway.get_workspace(env.workspace_id)
    except ItemNotFound as e:
        raise InvalidConfiguration(
            f"workspace {env.workspace_id} of environment '{env.name}' does not exist or is not visible",
            subject=config_source,
            field=f"environments.{env.name}.workspace_id",
        ) from e


def folder_paths(folders: list[RemoteFolder]) -> dict[str, str]:
    """Folder path ("a/b") -> folder id, built from the parent links."""
    by_id = {f.id: f for f in folders}

    def path(folder: RemoteFolder) -> str:
        parent = by_id.get(folder.parent_id) if folder.parent_id else None
        return f"{path(parent)}/{folder.name}" if parent else folder.name

    return {path(f): f.id for f in folders}


@dataclass
class TargetView:
    gateway: FabricGateway
    workspace: WorkspaceInfo | None
    items: dict[ItemKey, RemoteItem] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)
    _definitions: dict[ItemKey, ItemDefinition] = field(default_factory=dict)

    @classmethod
    def load(cls, gateway: FabricGateway, workspace: WorkspaceInfo | None) -> TargetView:
        if workspace is None:
            return cls(gateway, None)
        items = {i.key: i for i in gateway.list_items(workspace.id)}
        folders = folder_paths(gateway.list_folders(workspace.id))
        return cls(gateway, workspace, items, folders)

    @property
    def workspace_id(self) -> str:
        return self.workspace.id if self.workspace else ""

    def definition(self, key: ItemKey) -> ItemDefinition:
        """The item's current definition (without `.platform`), fetched once."""
        if key not in self._definitions:
            item = self.items[key]
            current = self.gateway.get_definition(self.workspace_id, item.id)
            self._definitions[key] = current.without_platform()
        return self._definitions[key]

    def read_ahead(self, keys: Sequence[ItemKey], workers: int = READ_WORKERS) -> Iterator[ItemKey]:
        """Yield `keys` in order, each with its definition cached, reading up to `workers` ahead at once.

        Reading one by one would dominate a plan that compares live definitions (no local records,
        or --refresh); reading them all first would hold them all. The caller `forget`s a definition
        it no longer needs before taking the next key, so what is held stays bounded.
        """
        missing = [k for k in keys if k not in self._definitions]
        if len(missing) < 2:
            yield from keys  # `definition` reads the odd one when asked
            return
        with ThreadPoolExecutor(max_workers=min(workers, len(missing)), thread_name_prefix="fabctl-read") as pool:
            reads: dict[ItemKey, Future[ItemDefinition]] = {}
            upcoming = iter(missing)
            for key in keys:
                while len(reads) < workers and (following := next(upcoming, None)) is not None:
                    reads[following] = pool.submit(
                        self.gateway.get_definition, self.workspace_id, self.items[following].id
                    )
                if key in reads:
                    self._definitions[key] = reads.pop(key).result().without_platform()
                yield key

    def forget(self, key: ItemKey) -> None:
        """Drop a cached definition (read again if asked for)."""
        self._definitions.pop(key, None)

    def folder_path_of(self, item: RemoteItem) -> str:
        if not item.folder_id:
            return ""
        return next((p for p, fid in self.folders.items() if fid == item.folder_id), "")
