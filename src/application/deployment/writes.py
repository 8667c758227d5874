"""The writes of a deployment: folders, items created empty first (reserved), created, filled, updated,
moved and deleted, each a journaled step (run.py)."""

from __future__ import annotations

from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.run import (
    DeploymentRun,
    Deps,
    StepFailed,
    changed,
    durable,
    journal,
    report_failure,
    step,
    stop_here,
)
from fabctl.application.deployment.scheduler import run_when_ready
from fabctl.application.deployment.target import TargetView
from fabctl.application.errors import GatewayError
from fabctl.domain.creation import creation_payload_of
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.item_types import SHELL_ONLY_TYPES
from fabctl.domain.items import Item
from fabctl.domain.plan import PlannedChange
from fabctl.domain.transaction import ItemImage, StepAction


def create_folders(run: DeploymentRun, deps: Deps, max_workers: int) -> bool:
    """The missing folders, each as soon as its parent exists; False when one could not be created."""
    view = run.prepared.view

    def create_folder(path: str) -> None:
        if stop_here(run, deps):
            with run.lock:
                run.report(ItemOutcome(path, "create_folder", "skipped", detail=f"interrupted by {run.interrupted}"))
            return
        parent, _, name = path.rpartition("/")
        intent = journal(run, StepAction.CREATE_FOLDER, path, None, None)
        try:
            folder = deps.gateway.create_folder(view.workspace_id, name, view.folders.get(parent) if parent else None)
        except GatewayError as e:
            report_failure(run, deps, intent.number, path, "create_folder", str(e), key=None)
            return
        with run.lock:
            view.folders[path] = folder.id
            run.tx.record_success(intent.number, folder.id)
            run.report(ItemOutcome(path, "create_folder", "done", folder.id))
            change = changed(run)
        durable(run, change)

    paths = list(run.prepared.plan.folders_to_create)
    needs = {path: {path.rpartition("/")[0]} & set(paths) for path in paths}
    left = run_when_ready(paths, needs, create_folder, max_workers=max_workers, stopped=lambda: not run.ok)
    with run.lock:
        for path in left:
            run.report(ItemOutcome(path, "create_folder", "skipped", detail="stopped"))
    return run.ok


def reserve(run: DeploymentRun, item: Item, deps: Deps) -> None:
    """Create `item` without its definition, so that what refers to it can be bound to its id now."""
    view = run.prepared.view

    def write() -> str:
        return deps.gateway.create_item(
            view.workspace_id, item.type, item.name, description=item.description,
            folder_id=folder_id(view, item.folder),
        ).id  # fmt: skip

    try:
        item_id = step(run, deps, StepAction.CREATE, item.key, None, None, write)
    except StepFailed:
        return
    with run.lock:
        run.ids_by_key[item.key] = item_id


def create(run: DeploymentRun, item: Item, desired: ItemDefinition, deps: Deps) -> str:
    view = run.prepared.view
    definition = None if item.type in SHELL_ONLY_TYPES or desired.is_empty else desired

    def write() -> str:
        return deps.gateway.create_item(
            view.workspace_id, item.type, item.name, description=item.description, definition=definition,
            folder_id=folder_id(view, item.folder), creation_payload=creation_payload_of(item),
        ).id  # fmt: skip

    return step(run, deps, StepAction.CREATE, item.key, None, None, write)


def fill(run: DeploymentRun, item: Item, desired: ItemDefinition, deps: Deps) -> str:
    """Send the definition of an item `reserve` created empty: an update of the empty item."""
    ws, item_id = run.prepared.view.workspace_id, run.ids_by_key[item.key]
    empty = ItemImage(item_id, item.type, item.name, item.description, item.folder, ItemDefinition())

    def write() -> str:
        deps.gateway.update_definition(ws, item_id, desired)
        return item_id

    return step(run, deps, StepAction.UPDATE, item.key, item_id, empty, write)


def update(run: DeploymentRun, change: PlannedChange, item: Item, desired: ItemDefinition, deps: Deps) -> str:
    view, ws, item_id = run.prepared.view, run.prepared.view.workspace_id, change.item_id or ""
    remote = view.items[item.key]
    definition = None if item.type in SHELL_ONLY_TYPES or desired.is_empty else desired
    rewrite = definition is not None and bool(change.changed_parts)
    # The definition and the metadata are two calls, so two journaled steps: if the second fails,
    # the first is still recorded as done, and a rollback undoes it.
    if definition is not None and rewrite:
        new_definition = definition

        def write_definition() -> str:
            deps.gateway.update_definition(ws, item_id, new_definition)
            return item_id

        before = before_image(run, change, with_definition=True)
        step(run, deps, StepAction.UPDATE, item.key, item_id, before, write_definition)
    if remote.description != item.description or remote.name != item.name:

        def write_metadata() -> str:
            deps.gateway.update_item(ws, item_id, name=item.name, description=item.description)
            return item_id

        before = before_image(run, change, with_definition=False)
        step(run, deps, StepAction.UPDATE, item.key, item_id, before, write_metadata)
    if change.folder is not None:
        target = change.folder

        def move() -> str:
            deps.gateway.move_item(ws, item_id, folder_id(view, target))
            return item_id

        step(run, deps, StepAction.MOVE, item.key, item_id, before_image(run, change, with_definition=False), move)
    return item_id


def folder_id(view: TargetView, path: str) -> str | None:
    """The id of the folder at `path` (None for the root); never the root in its place."""
    if not path:
        return None
    if path not in view.folders:  # its creation failed and the run continued
        raise GatewayError(f"folder '{path}' does not exist: its creation failed", error_code="FolderMissing")
    return view.folders[path]


def delete(run: DeploymentRun, change: PlannedChange, deps: Deps) -> None:
    item_id = change.item_id or ""

    def write() -> str:
        deps.gateway.delete_item(run.prepared.view.workspace_id, item_id)
        return item_id

    try:
        step(run, deps, StepAction.DELETE, change.key, item_id, before_image(run, change), write)
    except StepFailed:
        return
    with run.lock:
        run.report(ItemOutcome(str(change.key), "delete", "done", item_id))


def before_image(run: DeploymentRun, change: PlannedChange, *, with_definition: bool = True) -> ItemImage:
    view = run.prepared.view
    remote = view.items[change.key]
    fetch = with_definition and change.key.type not in SHELL_ONLY_TYPES
    definition = view.definition(change.key) if fetch else None
    return ItemImage(
        remote.id, remote.type, remote.name, remote.description, view.folder_path_of(remote),
        definition or ItemDefinition(),
    )  # fmt: skip
