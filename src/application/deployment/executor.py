"""Applies a prepared plan inside a journaled transaction.

Every write is journaled before it is made (intent and before-image) and after (outcome), so a
failure, or a crash, leaves a record precise enough to undo exactly what was done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.connections import bind_model_connections
from fabctl.application.deployment.journal import JournalWriter
from fabctl.application.deployment.leases import claim_workspace, renew_lease
from fabctl.application.deployment.planner import PreparedDeployment
from fabctl.application.deployment.results import DeploymentResult, ItemOutcome
from fabctl.application.deployment.rollback import roll_back
from fabctl.application.deployment.scheduler import run_when_ready
from fabctl.application.deployment.target import TargetView
from fabctl.application.deployment.tasks import Task, plan_tasks
from fabctl.application.errors import GatewayError
from fabctl.application.ports import (
    Clock,
    DeployedItem,
    FabricGateway,
    IdGenerator,
    Telemetry,
    UnitOfWork,
    WorkspaceInfo,
)
from fabctl.domain.binding import BindingContext, bind
from fabctl.domain.commands import DEFAULT_WORKERS
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import DomainError, InvalidConfiguration
from fabctl.domain.item_types import SHELL_ONLY_TYPES
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.transaction import (
    ItemImage,
    StepAction,
    StepOutcome,
    Transaction,
    TransactionStep,
)


@dataclass
class Deps:
    uow: UnitOfWork
    gateway: FabricGateway
    clock: Clock
    ids: IdGenerator
    telemetry: Telemetry


@dataclass
class _Run:
    prepared: PreparedDeployment
    tx: Transaction
    result: DeploymentResult
    ids_by_key: dict[ItemKey, str]
    # One lock around every change to the journal, the result and the records: workers run the
    # gateway calls in parallel, never the bookkeeping. The journal is saved by group commit.
    lock: threading.Lock
    journal: JournalWriter
    binding: BindingContext  # binds content about to be written (never with a placeholder)
    on_progress: Callable[[ItemOutcome], None] | None = None
    records: list[DeployedItem] = field(default_factory=list)
    reserved: frozenset[ItemKey] = frozenset()  # created empty first, their definition sent after
    failed: set[ItemKey] = field(default_factory=set)
    ok: bool = True

    def report(self, outcome: ItemOutcome) -> None:
        """Record an item's outcome and tell the caller; the lock must be held."""
        self.result.outcomes.append(outcome)
        if self.on_progress is not None:
            self.on_progress(outcome)


def execute(
    prepared: PreparedDeployment,
    deps: Deps,
    *,
    transaction_id: str,
    message_id: str,
    on_error: str,
    max_workers: int = DEFAULT_WORKERS,
    on_progress: Callable[[ItemOutcome], None] | None = None,
    resumes: str = "",
) -> DeploymentResult:
    """Apply the plan; `on_error` is stop (default), continue, or rollback.

    Up to `max_workers` items are written at once, each as soon as what it references exists.
    `on_progress` is called with each item's outcome as it finishes, one call at a time.
    """
    plan = prepared.plan
    view = prepared.view
    env = prepared.inputs.environment
    workspace = view.workspace or _create_workspace(prepared, deps)
    view.workspace = workspace
    tx = Transaction.start(transaction_id, workspace.id, env.name, deps.clock.now(), prepared.inputs.source_dir)
    # The HTTP gateway knows the URL it talks to; `tx recover` reaches the same target with it.
    tx.fabric_url = deps.gateway.base_url
    tx.resumes = resumes
    tx.scope = tuple(str(c.key) for c in plan.changes if c.kind is not ChangeKind.DELETE)
    tx.deletes = tuple(str(c.key) for c in plan.changes if c.kind is ChangeKind.DELETE)
    with deps.uow:
        claim_workspace(deps.uow, tx, deps.clock, prepared.journal_mark)  # refused: nothing stored or written
        deps.uow.transactions.add(tx)
        deps.uow.inbox.add(message_id)
        deps.uow.commit()
    result = DeploymentResult(tx.id, env.name, workspace.id, workspace.name, plan)
    lock = threading.Lock()
    journal = JournalWriter(lambda: _save(run, deps), lock)
    ids = {k: i.id for k, i in view.items.items()}
    # One context for every item: it reads the ids as workers add them (what an item refers to is
    # final before it is bound), and asks Fabric once per pool list, endpoint or other workspace.
    binding = binding_context(prepared.inputs, workspace.id, workspace.name, ids, gateway=deps.gateway, final=True)
    run = _Run(prepared, tx, result, ids, lock, journal, binding, on_progress)

    with deps.telemetry.span("fabctl.deploy", environment=env.name, transaction=tx.id):
        run.ok = _create_folders(run, deps, max_workers)
        _apply_all(run, deps, on_error, max_workers)
        _finish(run, deps, run.ok, on_error)
    return result


def _create_workspace(prepared: PreparedDeployment, deps: Deps) -> WorkspaceInfo:
    env, config = prepared.inputs.environment, prepared.inputs.config
    try:
        return deps.gateway.create_workspace(env.workspace_name, env.capacity_id)
    except GatewayError as e:
        if e.error_code != "CapacityNotFound":
            raise
        raise InvalidConfiguration(
            f"capacity {env.capacity_id} does not exist or is not visible to fabctl's identity",
            subject=config.source,
            field=f"environments.{env.name}.capacity_id",
        ) from e


def _apply_all(run: _Run, deps: Deps, on_error: str, max_workers: int) -> None:
    """Every item in parallel as its references allow, then deletions; report what never started."""
    plan, source = run.prepared.plan, run.prepared.inputs.source
    writes = {c.key: c for c in plan.changes if c.kind is not ChangeKind.DELETE}
    deletions = {c.key: c for c in plan.changes if c.kind is ChangeKind.DELETE}
    items = {key: item for key in writes if (item := source.get(key)) is not None}
    graph = plan_tasks(writes, run.prepared.references, items)
    run.reserved = graph.reserved

    def stopped() -> bool:
        return not run.ok and on_error != "continue"

    def apply(task: Task) -> None:
        if task.reserve:
            _reserve(run, items[task.key], deps)
        else:
            _apply(run, writes[task.key], deps)

    def delete(key: ItemKey) -> None:
        _delete(run, deletions[key], deps)

    left = run_when_ready(graph.order, graph.needs, apply, max_workers=max_workers, stopped=stopped)
    # Deletions last: nothing deployed may still refer to what is deleted.
    left_deletions = run_when_ready(list(deletions), {}, delete, max_workers=max_workers, stopped=stopped)
    with run.lock:
        # An item is reported once: a reservation that never started leaves its write unstarted too,
        # and the write of an item whose reservation failed has been reported with that failure.
        never_started = [t.key for t in left if not t.reserve and t.key not in run.failed]
        for key in never_started + left_deletions:
            change = writes.get(key) or deletions[key]
            run.report(ItemOutcome(str(key), change.kind.value, "skipped", detail="stopped"))


def _create_folders(run: _Run, deps: Deps, max_workers: int) -> bool:
    """The missing folders, each as soon as its parent exists; False when one could not be created."""
    view = run.prepared.view

    def create(path: str) -> None:
        parent, _, name = path.rpartition("/")
        step = _journal(run, StepAction.CREATE_FOLDER, path, None, None)
        try:
            folder = deps.gateway.create_folder(view.workspace_id, name, view.folders.get(parent) if parent else None)
        except GatewayError as e:
            _failed(run, deps, step.number, path, "create_folder", str(e), key=None)
            return
        with run.lock:
            view.folders[path] = folder.id
            run.tx.record_success(step.number, folder.id)
            run.report(ItemOutcome(path, "create_folder", "done", folder.id))
            change = _changed(run)
        _durable(run, change)

    paths = list(run.prepared.plan.folders_to_create)
    needs = {path: {path.rpartition("/")[0]} & set(paths) for path in paths}
    left = run_when_ready(paths, needs, create, max_workers=max_workers, stopped=lambda: not run.ok)
    with run.lock:
        for path in left:
            run.report(ItemOutcome(path, "create_folder", "skipped", detail="stopped"))
    return run.ok


def _reserve(run: _Run, item: Item, deps: Deps) -> None:
    """Create `item` without its definition, so that what refers to it can be bound to its id now."""
    view = run.prepared.view

    def write() -> str:
        return deps.gateway.create_item(
            view.workspace_id, item.type, item.name, description=item.description,
            folder_id=_folder_id(view, item.folder),
        ).id  # fmt: skip

    try:
        item_id = _step(run, deps, StepAction.CREATE, item.key, None, None, write)
    except _StepFailed:
        return
    with run.lock:
        run.ids_by_key[item.key] = item_id


def _apply(run: _Run, change: PlannedChange, deps: Deps) -> None:
    """Deploy one item; runs on a worker thread, so every shared write takes `run.lock`."""
    inputs = run.prepared.inputs
    item = inputs.source.get(change.key)
    assert item is not None
    with run.lock:
        if item.key in run.failed:
            return  # its reservation failed, and was reported
        blocked = sorted(str(k) for k in run.prepared.references.get(item.key, frozenset()) & run.failed)
        if blocked:
            run.failed.add(item.key)
            detail = "depends on failed " + ", ".join(blocked)
            run.report(ItemOutcome(str(item.key), change.kind.value, "skipped", detail=detail))
            return  # not a new failure: the cause is already reported
    try:
        desired = bind(item, inputs.rules, run.binding)
    except DomainError as e:  # say, a SQL endpoint that was never provisioned: nothing written yet
        with run.lock:
            run.ok = False
            run.failed.add(item.key)
            run.report(ItemOutcome(str(item.key), change.kind.value, "failed", detail=str(e)))
            run.result.error = run.result.error or f"{item.key}: {e}"
        return
    record = DeployedItem(
        item.key, change.item_id or "", item.logical_id.value if item.logical_id else "",
        item.definition.content_hash(), desired.content_hash(), run.tx.id,
    )  # fmt: skip
    if change.kind is ChangeKind.NO_OP:
        with run.lock:
            run.records.append(record)
            run.report(ItemOutcome(str(item.key), "no-op", "unchanged", change.item_id or ""))
        return
    try:
        if change.kind is ChangeKind.CREATE and item.key in run.reserved:
            item_id = _fill(run, item, desired, deps)
        elif change.kind is ChangeKind.CREATE:
            item_id = _create(run, item, desired, deps)
        else:
            item_id = _update(run, change, item, desired, deps)
    except _StepFailed:
        return
    bind_error = _bind_connections(run, item, item_id, deps) if item.type == "SemanticModel" else None
    with run.lock:
        run.ids_by_key[item.key] = item_id
        if bind_error is not None:
            run.ok = False
            run.failed.add(item.key)  # what uses the model is skipped
            run.report(ItemOutcome(str(item.key), "bind_connection", "failed", item_id, bind_error))
            run.result.error = run.result.error or f"{item.key}: {bind_error}"
            return  # not recorded as deployed: the next deployment writes it again, and binds it
        run.records.append(replace(record, item_id=item_id))
        run.report(ItemOutcome(str(item.key), change.kind.value, "done", item_id))


def _bind_connections(run: _Run, item: Item, item_id: str, deps: Deps) -> str | None:
    """parameter.yml's semantic_model_binding, once the model is written; the error if binding failed."""
    inputs = run.prepared.inputs
    try:
        bind_model_connections(
            deps.gateway, run.prepared.view.workspace_id, item_id, item.name, inputs.rules, inputs.environment.name
        )
    except GatewayError as e:
        return str(e)
    return None


class _StepFailed(Exception):
    """A journaled write failed; it is already recorded and reported."""


def _create(run: _Run, item: Item, desired: ItemDefinition, deps: Deps) -> str:
    view = run.prepared.view
    definition = None if item.type in SHELL_ONLY_TYPES or desired.is_empty else desired

    def write() -> str:
        return deps.gateway.create_item(
            view.workspace_id, item.type, item.name, description=item.description, definition=definition,
            folder_id=_folder_id(view, item.folder), creation_payload=item.creation_payload,
        ).id  # fmt: skip

    return _step(run, deps, StepAction.CREATE, item.key, None, None, write)


def _fill(run: _Run, item: Item, desired: ItemDefinition, deps: Deps) -> str:
    """Send the definition of an item `_reserve` created empty: an update of the empty item."""
    ws, item_id = run.prepared.view.workspace_id, run.ids_by_key[item.key]
    empty = ItemImage(item_id, item.type, item.name, item.description, item.folder, ItemDefinition())

    def write() -> str:
        deps.gateway.update_definition(ws, item_id, desired)
        return item_id

    return _step(run, deps, StepAction.UPDATE, item.key, item_id, empty, write)


def _update(run: _Run, change: PlannedChange, item: Item, desired: ItemDefinition, deps: Deps) -> str:
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

        before = _before_image(run, change, with_definition=True)
        _step(run, deps, StepAction.UPDATE, item.key, item_id, before, write_definition)
    if remote.description != item.description or remote.name != item.name:

        def write_metadata() -> str:
            deps.gateway.update_item(ws, item_id, name=item.name, description=item.description)
            return item_id

        before = _before_image(run, change, with_definition=False)
        _step(run, deps, StepAction.UPDATE, item.key, item_id, before, write_metadata)
    if change.folder is not None:
        target = change.folder

        def move() -> str:
            deps.gateway.move_item(ws, item_id, _folder_id(view, target))
            return item_id

        _step(run, deps, StepAction.MOVE, item.key, item_id, _before_image(run, change, with_definition=False), move)
    return item_id


def _folder_id(view: TargetView, path: str) -> str | None:
    """The id of the folder at `path` (None for the root); never the root in its place."""
    if not path:
        return None
    if path not in view.folders:  # its creation failed and the run continued
        raise GatewayError(f"folder '{path}' does not exist: its creation failed", error_code="FolderMissing")
    return view.folders[path]


def _step(
    run: _Run,
    deps: Deps,
    action: StepAction,
    key: ItemKey,
    item_id: str | None,
    before: ItemImage | None,
    write: Callable[[], str],
) -> str:
    """One journaled write: its intent saved, the call (outside the lock), then its outcome saved."""
    step = _journal(run, action, str(key), item_id, before)
    try:
        with deps.telemetry.span("fabctl.item", item=str(key), action=action.value):
            written = write()
    except GatewayError as e:
        _failed(run, deps, step.number, str(key), action.value, str(e), key=key)
        raise _StepFailed from e
    with run.lock:
        run.tx.record_success(step.number, written)
        deps.telemetry.count("fabctl.items_deployed", action=action.value)
        change = _changed(run)
    _durable(run, change)
    return written


def _delete(run: _Run, change: PlannedChange, deps: Deps) -> None:
    item_id = change.item_id or ""

    def write() -> str:
        deps.gateway.delete_item(run.prepared.view.workspace_id, item_id)
        return item_id

    try:
        _step(run, deps, StepAction.DELETE, change.key, item_id, _before_image(run, change), write)
    except _StepFailed:
        return
    with run.lock:
        run.report(ItemOutcome(str(change.key), "delete", "done", item_id))


def _before_image(run: _Run, change: PlannedChange, *, with_definition: bool = True) -> ItemImage:
    view = run.prepared.view
    remote = view.items[change.key]
    fetch = with_definition and change.key.type not in SHELL_ONLY_TYPES
    definition = view.definition(change.key) if fetch else None
    return ItemImage(
        remote.id, remote.type, remote.name, remote.description, view.folder_path_of(remote),
        definition or ItemDefinition(),
    )  # fmt: skip


def _journal(
    run: _Run, action: StepAction, item: str, item_id: str | None, before: ItemImage | None
) -> TransactionStep:
    """Journal the intent of a write; it is durable (write-ahead) when this returns."""
    with run.lock:
        step = run.tx.record_intent(action, item, item_id, before)
        change = _changed(run)
    _durable(run, change)
    return step


def _failed(run: _Run, deps: Deps, number: int, item: str, action: str, error: str, *, key: ItemKey | None) -> None:
    """Journal and report a failed write of `item` (an item `key`, or a folder path)."""
    with run.lock:
        run.ok = False
        if key is not None:
            run.failed.add(key)
        run.tx.record_failure(number, error)
        run.report(ItemOutcome(item, action, "failed", detail=error))
        run.result.error = run.result.error or f"{item}: {error}"
        deps.telemetry.count("fabctl.items_failed", action=action)
        change = _changed(run)
    _durable(run, change)


def _changed(run: _Run) -> int:
    """Count a journal change; the lock must be held."""
    return run.journal.changed()


def _durable(run: _Run, change: int) -> None:
    """Wait until that change is saved; the lock must not be held."""
    run.journal.make_durable(change)


def _finish(run: _Run, deps: Deps, ok: bool, on_error: str) -> None:
    tx = run.tx
    if ok:
        tx.commit(deps.clock.now())
    else:
        tx.fail(run.result.error, deps.clock.now())
    if not ok and on_error == "rollback":
        _save(run, deps)
        roll_back(tx, deps.gateway, deps.uow, deps.clock)
        undone = {s.item for s in tx.steps if s.outcome is StepOutcome.UNDONE}
        # Undone items keep whatever record an earlier deployment left; only what stays is recorded.
        run.records = [r for r in run.records if str(r.key) not in undone]
        run.result.outcomes = [
            replace(o, status="undone") if o.status == "done" and o.item in undone else o for o in run.result.outcomes
        ]
    deleted = {s.item for s in tx.steps if s.action is StepAction.DELETE and s.outcome is StepOutcome.SUCCEEDED}
    with deps.uow:
        for record in run.records:
            deps.uow.deployments.put(tx.workspace_id, record)
        for key in run.prepared.plan.changes:
            if key.kind is ChangeKind.DELETE and str(key.key) in deleted:
                deps.uow.deployments.remove(tx.workspace_id, key.key)
        deps.uow.transactions.add(tx)
        deps.uow.leases.release(tx.workspace_id, tx.id)
        deps.uow.commit()
    run.result.state = tx.state.value
    # Progress saw completion order; the report follows the plan, so equal runs give equal reports.
    plan = run.prepared.plan
    position = {path: n for n, path in enumerate(plan.folders_to_create)}
    position.update({str(c.key): len(position) + n for n, c in enumerate(plan.changes)})
    run.result.outcomes.sort(key=lambda o: position.get(o.item, len(position)))


def _save(run: _Run, deps: Deps) -> None:
    with deps.uow:
        deps.uow.transactions.add(run.tx)
        renew_lease(deps.uow, run.tx, deps.clock)  # a live deployment keeps its workspace
        deps.uow.commit()
