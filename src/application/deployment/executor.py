"""Applies a prepared plan inside a journaled transaction: folders first, then every item as soon as
what it references exists, deletions last; then commits, or fails and rolls back when asked.

The writes themselves, each a journaled step, are in writes.py; the run they share is in run.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.connection_writes import ensure_connections
from fabctl.application.deployment.connections import bind_model_connections
from fabctl.application.deployment.journal import JournalWriter
from fabctl.application.deployment.lease_keeper import LeaseKeeper
from fabctl.application.deployment.leases import claim_workspace
from fabctl.application.deployment.planner import PreparedDeployment
from fabctl.application.deployment.publishing import publish
from fabctl.application.deployment.results import DeploymentResult, ItemOutcome
from fabctl.application.deployment.rollback import roll_back
from fabctl.application.deployment.run import DeploymentRun, Deps, StepFailed, save, stop_here
from fabctl.application.deployment.scheduler import run_when_ready
from fabctl.application.deployment.shortcut_writes import deploy_shortcuts
from fabctl.application.deployment.smoke_run import run_smoke_tests
from fabctl.application.deployment.tasks import Task, plan_tasks
from fabctl.application.deployment.value_set_writes import activate
from fabctl.application.deployment.writes import create, create_folders, delete, fill, reserve, update
from fabctl.application.errors import GatewayError
from fabctl.application.inbox import claim
from fabctl.application.ports import DeployedItem, WorkspaceInfo
from fabctl.domain.binding import bind
from fabctl.domain.commands import DEFAULT_WORKERS
from fabctl.domain.errors import DomainError, InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.shortcuts import SHORTCUT_HOLDER
from fabctl.domain.transaction import JournaledInputs, StepAction, StepOutcome, Transaction


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
    actor: str = "",
    actor_object_id: str = "",
) -> DeploymentResult:
    """Apply the plan; `on_error` is stop (default), continue, or rollback.

    Up to `max_workers` items are written at once, each as soon as what it references exists.
    `on_progress` is called with each item's outcome as it finishes, one call at a time.
    `actor` is who runs it: the transaction and every event it records name them (`actor_object_id`:
    a signed-in actor's, so verified; "" for a typed name). Once `deps.stop`
    asks to stop, no new write starts; the run then ends as a failed item would end it (rolled back
    with `on_error` rollback, else failed), whatever `on_error` says.
    """
    plan = prepared.plan
    view = prepared.view
    env = prepared.inputs.environment
    workspace = view.workspace or _create_workspace(prepared, deps)
    view.workspace = workspace
    tx = Transaction.start(
        transaction_id, workspace.id, env.name, deps.clock.now(), prepared.inputs.source_dir, actor=actor,
        actor_object_id=actor_object_id,
    )  # fmt: skip
    # The HTTP gateway knows the URL it talks to; `tx recover` reaches the same target with it.
    tx.fabric_url = deps.gateway.base_url
    tx.resumes = resumes
    tx.scope = tuple(str(c.key) for c in plan.changes if c.kind is not ChangeKind.DELETE)
    tx.deletes = tuple(str(c.key) for c in plan.changes if c.kind is ChangeKind.DELETE)
    inputs = prepared.inputs  # what a resume must read again to plan the same deployment
    tx.features = dict(plan.features)
    tx.warnings = plan.warnings  # a warning let through is part of what this deployment was
    tx.inputs = JournaledInputs(
        inputs.config_path, inputs.parameter_path, inputs.config.standalone, prepared.allow_dangling
    )
    if deps.stop is not None:
        deps.stop.transaction_started(tx.id)  # from now on a stop request winds this transaction down
    try:
        with deps.uow:  # refused: nothing stored or written
            claim(deps.uow, message_id)  # first: a duplicate is told apart from a busy workspace
            claim_workspace(deps.uow, tx, deps.clock, prepared.journal_mark, deps.machine)
            deps.uow.transactions.add(tx)
            deps.uow.commit()
        # However long one Fabric call takes, the lease is renewed meanwhile; lost, the run stops writing.
        with LeaseKeeper(deps.uow, tx, deps.clock, pause=deps.lease_pause, retry=deps.retry) as keeper:
            kept = replace(deps, uow=keeper.uow, keeper=keeper)
            return _run(prepared, kept, tx, on_error, max_workers, on_progress)
    finally:
        if deps.stop is not None:
            deps.stop.transaction_ended()


def _run(
    prepared: PreparedDeployment,
    deps: Deps,
    tx: Transaction,
    on_error: str,
    max_workers: int,
    on_progress: Callable[[ItemOutcome], None] | None,
) -> DeploymentResult:
    plan, view, env = prepared.plan, prepared.view, prepared.inputs.environment
    workspace = view.workspace
    assert workspace is not None
    result = DeploymentResult(tx.id, env.name, workspace.id, workspace.name, plan)
    lock = threading.Lock()
    journal = JournalWriter(lambda: save(run, deps), lock)
    ids = {k: i.id for k, i in view.items.items()}
    # One context for every item: it reads the ids as workers add them (what an item refers to is
    # final before it is bound), and asks Fabric once per pool list, endpoint or other workspace.
    binding = binding_context(prepared.inputs, workspace.id, workspace.name, ids, gateway=deps.gateway, final=True)
    run = DeploymentRun(prepared, tx, result, ids, lock, journal, binding, on_progress)

    started = deps.clock.now()
    with deps.telemetry.span("fabctl.deploy", environment=env.name, transaction=tx.id) as span:
        try:
            # Connections first: items may refer to them (`$connections.<name>.$id`).
            run.ok = ensure_connections(run, deps) and create_folders(run, deps, max_workers)
            _apply_all(run, deps, on_error, max_workers)
            if run.ok:  # the environment's smoke tests check what the writes left, before the commit
                run_smoke_tests(run, deps)
            _finish(run, deps, run.ok, on_error)
        finally:  # a deployment that raised (a lost lease, a bug) still counts, as ended in its journal's state
            outcome = tx.state.value
            span["outcome"] = outcome
            deps.telemetry.count("fabctl.deployments", environment=env.name, outcome=outcome)
            seconds = (deps.clock.now() - started).total_seconds()
            deps.telemetry.record("fabctl.deployment.duration", seconds, environment=env.name, outcome=outcome)
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


def _apply_all(run: DeploymentRun, deps: Deps, on_error: str, max_workers: int) -> None:
    """Every item in parallel as its references allow, then deletions; report what never started."""
    plan, source = run.prepared.plan, run.prepared.inputs.source
    writes = {c.key: c for c in plan.changes if c.kind is not ChangeKind.DELETE}
    deletions = {c.key: c for c in plan.changes if c.kind is ChangeKind.DELETE}
    items = {key: item for key in writes if (item := source.get(key)) is not None}
    graph = plan_tasks(writes, run.prepared.references, items)
    run.reserved = graph.reserved

    def stopped() -> bool:
        return (not run.ok and on_error != "continue") or stop_here(run, deps)

    def apply(task: Task) -> None:
        if task.reserve:
            reserve(run, items[task.key], deps)
        else:
            _apply(run, writes[task.key], deps)

    def remove(key: ItemKey) -> None:
        delete(run, deletions[key], deps)

    left = run_when_ready(graph.order, graph.needs, apply, max_workers=max_workers, stopped=stopped)
    # Deletions last: nothing deployed may still refer to what is deleted.
    left_deletions = run_when_ready(list(deletions), {}, remove, max_workers=max_workers, stopped=stopped)
    with run.lock:
        # An item is reported once: a reservation that never started leaves its write unstarted too,
        # and the write of an item whose reservation failed has been reported with that failure.
        never_started = [t.key for t in left if not t.reserve and t.key not in run.failed]
        why = f"interrupted by {run.interrupted}" if run.interrupted else "stopped"
        for key in never_started + left_deletions:
            change = writes.get(key) or deletions[key]
            run.report(ItemOutcome(str(key), change.kind.value, "skipped", detail=why))


def _apply(run: DeploymentRun, change: PlannedChange, deps: Deps) -> None:
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
    # Nothing is written yet: a SQL endpoint never provisioned, or Fabric failing a read that binding needs.
    except (DomainError, GatewayError) as e:
        reason = inputs.rules.redactions().redact(str(e))  # a Fabric read's message is not redacted by bind
        with run.lock:
            run.ok = False
            run.failed.add(item.key)
            run.report(ItemOutcome(str(item.key), change.kind.value, "failed", detail=reason))
            run.result.error = run.result.error or f"{item.key}: {reason}"
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
            item_id = fill(run, item, desired, deps)
        elif change.kind is ChangeKind.CREATE:
            item_id = create(run, item, desired, deps)
        else:
            item_id = update(run, change, item, desired, deps)
    except StepFailed:
        return
    try:
        if change.publish:
            publish(run, item, item_id, deps)
    except StepFailed:  # written but not published: not recorded, so the next deployment writes and publishes it
        with run.lock:
            run.ids_by_key[item.key] = item_id
        return
    if change.value_set is not None and activate(run, change, item, item_id, deps) is not None:
        with run.lock:  # written but its value set not active: not recorded, so the next deployment activates it
            run.ids_by_key[item.key] = item_id
        return
    bind_error = _bind_connections(run, item, item_id, deps) if item.type == "SemanticModel" else None
    # A lakehouse's shortcuts, after the lakehouse itself; a refused one is reported (and failed) there.
    shortcuts_on = item.type == SHORTCUT_HOLDER and run.prepared.inputs.environment.flags.deploy_shortcuts
    shortcut_error = deploy_shortcuts(run, item, item_id, desired, deps) if shortcuts_on else None
    with run.lock:
        run.ids_by_key[item.key] = item_id
        if bind_error is not None:
            run.ok = False
            run.failed.add(item.key)  # what uses the model is skipped
            run.report(ItemOutcome(str(item.key), "bind_connection", "failed", item_id, bind_error))
            run.result.error = run.result.error or f"{item.key}: {bind_error}"
            return  # not recorded as deployed: the next deployment writes it again, and binds it
        if shortcut_error is not None:
            return  # not recorded as deployed either: the next deployment compares its shortcuts again
        run.records.append(replace(record, item_id=item_id))
        run.report(ItemOutcome(str(item.key), change.kind.value, "done", item_id))


def _bind_connections(run: DeploymentRun, item: Item, item_id: str, deps: Deps) -> str | None:
    """parameter.yml's semantic_model_binding, once the model is written; the error if binding failed."""
    inputs = run.prepared.inputs
    try:
        bind_model_connections(
            deps.gateway, run.prepared.view.workspace_id, item_id, item.name, inputs.rules, inputs.environment.name
        )
    except GatewayError as e:
        return inputs.rules.redactions().redact(str(e))
    return None


def _reason(run: DeploymentRun) -> str:
    """Why the transaction failed: an interruption first, then the first error, if any."""
    error = run.result.error
    if not run.interrupted or error.startswith("interrupted"):
        return error
    return f"interrupted by {run.interrupted}; first error: {error}"


def _finish(run: DeploymentRun, deps: Deps, ok: bool, on_error: str) -> None:
    tx = run.tx
    keeper = deps.keeper
    if keeper is not None and keeper.lost():
        # Another holder owns the workspace (a recovery: this journal too): no undo, no record, no save.
        raise keeper.refusal()
    if ok:
        tx.commit(deps.clock.now())
    else:
        tx.fail(_reason(run), deps.clock.now())
    if not ok and on_error == "rollback":
        save(run, deps)
        roll_back(tx, deps.gateway, deps.uow, deps.clock, keeper=keeper)
        deps.telemetry.count("fabctl.rollbacks", environment=tx.environment, trigger="on_error")
        undone = {s.item for s in tx.steps if s.outcome is StepOutcome.UNDONE}
        # Undone items keep whatever record an earlier deployment left; only what stays is recorded.
        run.records = [r for r in run.records if str(r.key) not in undone]
        run.result.outcomes = [
            replace(o, status="undone") if o.status == "done" and o.item in undone else o for o in run.result.outcomes
        ]
    deleted = {s.item for s in tx.steps if s.action is StepAction.DELETE and s.outcome is StepOutcome.SUCCEEDED}
    if keeper is not None:
        keeper.stop()  # every write is done; what follows releases the lease
    with deps.uow:
        if keeper is not None:
            keeper.verify(deps.uow)  # records are only stored by the lease's holder
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
