"""Applies a prepared plan inside a journaled transaction.

Every write is journaled before it is made (intent and before-image) and after (outcome), so a
failure, or a crash, leaves a record precise enough to undo exactly what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fabctl.application.deployment.binder import binding_context
from fabctl.application.deployment.planner import PreparedDeployment
from fabctl.application.deployment.results import DeploymentResult, ItemOutcome
from fabctl.application.deployment.rollback import roll_back
from fabctl.application.errors import GatewayError
from fabctl.application.ports import Clock, DeployedItem, FabricGateway, IdGenerator, Telemetry, UnitOfWork
from fabctl.domain.binding import bind
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.item_types import SHELL_ONLY_TYPES
from fabctl.domain.items import ItemKey
from fabctl.domain.plan import ChangeKind, PlannedChange
from fabctl.domain.references import references_of
from fabctl.domain.transaction import ItemImage, StepAction, StepOutcome, Transaction, TransactionStep


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
    records: list[DeployedItem] = field(default_factory=list)
    failed: set[ItemKey] = field(default_factory=set)


def execute(
    prepared: PreparedDeployment, deps: Deps, *, transaction_id: str, message_id: str, on_error: str
) -> DeploymentResult:
    """Apply the plan; `on_error` is stop (default), continue, or rollback."""
    plan = prepared.plan
    view = prepared.view
    env = prepared.inputs.environment
    workspace = view.workspace or deps.gateway.create_workspace(env.workspace_name, env.capacity_id)
    view.workspace = workspace
    tx = Transaction.start(transaction_id, workspace.id, env.name, deps.clock.now(), prepared.inputs.source_dir)
    with deps.uow:
        deps.uow.transactions.add(tx)
        deps.uow.inbox.add(message_id)
        deps.uow.commit()
    result = DeploymentResult(tx.id, env.name, workspace.id, workspace.name, plan)
    run = _Run(prepared, tx, result, {k: i.id for k, i in view.items.items()})

    with deps.telemetry.span("fabctl.deploy", environment=env.name, transaction=tx.id):
        ok = _create_folders(run, deps)
        for change in plan.changes:
            if not ok and on_error != "continue":
                result.outcomes.append(ItemOutcome(str(change.key), change.kind.value, "skipped", detail="stopped"))
                continue
            ok = _apply(run, change, deps) and ok
        _finish(run, deps, ok, on_error)
    return result


def _create_folders(run: _Run, deps: Deps) -> bool:
    view = run.prepared.view
    for path in run.prepared.plan.folders_to_create:
        parent, _, name = path.rpartition("/")
        step = _journal(run, deps, StepAction.CREATE_FOLDER, path, None, None)
        try:
            folder = deps.gateway.create_folder(view.workspace_id, name, view.folders.get(parent) if parent else None)
        except GatewayError as e:
            _failed(run, deps, step.number, path, "create_folder", str(e))
            return False
        view.folders[path] = folder.id
        run.tx.record_success(step.number, folder.id)
        _save(run, deps)
        run.result.outcomes.append(ItemOutcome(path, "create_folder", "done", folder.id))
    return True


def _apply(run: _Run, change: PlannedChange, deps: Deps) -> bool:
    source = run.prepared.inputs.source
    item = source.get(change.key)
    if change.kind is ChangeKind.DELETE:
        return _delete(run, change, deps)
    assert item is not None
    blocked = sorted(str(k) for k in references_of(item, source) & run.failed)
    if blocked:
        run.failed.add(item.key)
        detail = "depends on failed " + ", ".join(blocked)
        run.result.outcomes.append(ItemOutcome(str(item.key), change.kind.value, "skipped", detail=detail))
        return True  # not a new failure: the cause is already reported
    inputs, view = run.prepared.inputs, run.prepared.view
    context = binding_context(inputs, view.workspace_id, run.result.workspace_name, run.ids_by_key)
    desired = bind(item, inputs.rules, context)
    record = DeployedItem(
        item.key, change.item_id or "", item.logical_id.value if item.logical_id else "",
        item.definition.content_hash(), desired.content_hash(), run.tx.id,
    )  # fmt: skip
    if change.kind is ChangeKind.NO_OP:
        run.records.append(record)
        run.result.outcomes.append(ItemOutcome(str(item.key), "no-op", "unchanged", change.item_id or ""))
        return True
    definition = None if item.type in SHELL_ONLY_TYPES or desired.is_empty else desired
    before = _before_image(run, change) if change.kind is ChangeKind.UPDATE else None
    action = StepAction.CREATE if change.kind is ChangeKind.CREATE else StepAction.UPDATE
    step = _journal(run, deps, action, str(item.key), change.item_id, before)
    ws = view.workspace_id
    try:
        with deps.telemetry.span("fabctl.item", item=str(item.key), action=action.value):
            if change.kind is ChangeKind.CREATE:
                item_id = deps.gateway.create_item(
                    ws, item.type, item.name, description=item.description, definition=definition,
                    folder_id=view.folders.get(item.folder), creation_payload=item.creation_payload,
                ).id  # fmt: skip
            else:
                item_id = change.item_id or ""
                if definition is not None and change.changed_parts:
                    deps.gateway.update_definition(ws, item_id, definition)
                deps.gateway.update_item(ws, item_id, name=item.name, description=item.description)
    except GatewayError as e:
        run.failed.add(item.key)
        _failed(run, deps, step.number, str(item.key), action.value, str(e))
        return False
    run.ids_by_key[item.key] = item_id
    run.tx.record_success(step.number, item_id)
    _save(run, deps)
    run.records.append(replace(record, item_id=item_id))
    run.result.outcomes.append(ItemOutcome(str(item.key), action.value, "done", item_id))
    deps.telemetry.count("fabctl.items_deployed", action=action.value)
    return True


def _delete(run: _Run, change: PlannedChange, deps: Deps) -> bool:
    before = _before_image(run, change)
    step = _journal(run, deps, StepAction.DELETE, str(change.key), change.item_id, before)
    try:
        deps.gateway.delete_item(run.prepared.view.workspace_id, change.item_id or "")
    except GatewayError as e:
        _failed(run, deps, step.number, str(change.key), "delete", str(e))
        return False
    run.tx.record_success(step.number, change.item_id or "")
    _save(run, deps)
    run.result.outcomes.append(ItemOutcome(str(change.key), "delete", "done", change.item_id or ""))
    return True


def _before_image(run: _Run, change: PlannedChange) -> ItemImage:
    view = run.prepared.view
    remote = view.items[change.key]
    definition = view.definition(change.key) if change.key.type not in SHELL_ONLY_TYPES else None
    return ItemImage(
        remote.id, remote.type, remote.name, remote.description, view.folder_path_of(remote),
        definition or ItemDefinition(),
    )  # fmt: skip


def _journal(
    run: _Run, deps: Deps, action: StepAction, item: str, item_id: str | None, before: ItemImage | None
) -> TransactionStep:
    step = run.tx.record_intent(action, item, item_id, before)
    _save(run, deps)  # write-ahead: the intent is durable before the write is attempted
    return step


def _failed(run: _Run, deps: Deps, number: int, item: str, action: str, error: str) -> None:
    run.tx.record_failure(number, error)
    _save(run, deps)
    run.result.outcomes.append(ItemOutcome(item, action, "failed", detail=error))
    run.result.error = run.result.error or f"{item}: {error}"
    deps.telemetry.count("fabctl.items_failed", action=action)


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
    with deps.uow:
        for record in run.records:
            deps.uow.deployments.put(tx.workspace_id, record)
        deps.uow.transactions.add(tx)
        deps.uow.commit()
    run.result.state = tx.state.value


def _save(run: _Run, deps: Deps) -> None:
    with deps.uow:
        deps.uow.transactions.add(run.tx)
        deps.uow.commit()
