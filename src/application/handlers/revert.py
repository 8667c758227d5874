"""Reverting a committed transaction: its before-images deployed as a new, journaled transaction.

The revert undoes what the transaction did, most recent step first: re-creates the items it
deleted, moves moved items back, restores the definitions and metadata it replaced, and deletes
the items it created. It refuses (nothing written) when the workspace changed since in a way the
revert would overwrite, unless forced.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace

from fabctl.application.deployment.lease_keeper import LeaseKeeper
from fabctl.application.deployment.leases import claim_workspace
from fabctl.application.deployment.results import ItemOutcome
from fabctl.application.deployment.rollback import GO_WITH_THEIR_ITEM, roll_back
from fabctl.application.deployment.shortcuts import current_shortcut, set_shortcut
from fabctl.application.deployment.target import folder_paths
from fabctl.application.errors import GatewayError, ItemNotFound
from fabctl.application.handlers.journaled_target import require_journaled_fabric
from fabctl.application.messagebus import run_once
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    DeployedItem,
    FabricGateway,
    IdGenerator,
    Machine,
    RemoteItem,
    StopRequests,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import DomainError, IllegalTransition, NotFound
from fabctl.domain.item_types import PUBLISHED_TYPES, SHELL_ONLY_TYPES
from fabctl.domain.items import ItemKey
from fabctl.domain.shortcuts import ShortcutWrite
from fabctl.domain.transaction import ItemImage, StepAction, StepOutcome, Transaction, TransactionState
from fabctl.domain.value_sets import ValueSetWrite


class RevertRefused(DomainError):
    """The workspace changed since the transaction in ways a revert would overwrite."""


@dataclass(frozen=True)
class _Write:
    action: StepAction
    key: ItemKey
    item_id: str | None
    before: ItemImage | None  # what this write replaces: the revert can itself be rolled back
    call: Callable[[], str]
    record: Callable[[str], DeployedItem | None]  # the deployment record after it, None to drop it
    shortcut: ShortcutWrite | None = None  # a SHORTCUT write's before and after
    value_set: ValueSetWrite | None = None  # an ACTIVATE_VALUE_SET write's before and after


@dataclass
class RevertResult:
    transaction_id: str  # the revert's own transaction
    reverted: str  # the transaction it reverts
    workspace_id: str
    state: str = "started"
    outcomes: list[ItemOutcome] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)  # conflicts --force wrote over
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state == TransactionState.COMMITTED.value


@dataclass
class _Target:
    gateway: FabricGateway
    workspace_id: str
    items: dict[str, RemoteItem]  # by id
    folders: dict[str, str]  # path -> id
    records: dict[ItemKey, DeployedItem]
    _definitions: dict[str, ItemDefinition] = field(default_factory=dict)

    def definition(self, item_id: str) -> ItemDefinition:
        if item_id not in self._definitions:
            self._definitions[item_id] = self.gateway.get_definition(self.workspace_id, item_id).without_platform()
        return self._definitions[item_id]

    def folder_path(self, folder_id: str | None) -> str:
        return next((p for p, fid in self.folders.items() if fid == folder_id), "") if folder_id else ""

    def image(self, item: RemoteItem, *, with_definition: bool) -> ItemImage:
        fetch = with_definition and item.type not in SHELL_ONLY_TYPES
        definition = self.definition(item.id) if fetch else ItemDefinition()
        return ItemImage(item.id, item.type, item.name, item.description, self.folder_path(item.folder_id), definition)

    def changed_since(self, item: RemoteItem) -> bool:
        """True when the item's definition is no longer what fabctl last recorded deploying."""
        record = self.records.get(item.key)
        if item.type in SHELL_ONLY_TYPES or record is None or record.item_id != item.id:
            return False
        return self.definition(item.id).content_hash() != record.deployed_hash


def revert_transaction(
    transaction_id: str,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    clock: Clock,
    ids: IdGenerator,
    force: bool = False,
    actor: str = "",
    machine: Machine | None = None,
    stop: StopRequests | None = None,
    retry: ConflictRetry = run_once,
    actor_object_id: str = "",
    telemetry: Telemetry | None = None,
) -> RevertResult:
    """Deploy the before-images of a committed transaction as a new transaction, in the workspace
    and on the Fabric it journaled (a gateway to another Fabric is refused, nothing written).

    `actor` is who reverts: the revert's transaction and events name them (`actor_object_id`: a signed-in
    actor's, so verified). Once `stop` asks, no
    further write starts and the revert is rolled back, as when one of its writes fails."""
    with uow:
        original = uow.transactions.get(transaction_id)
        later = uow.transactions.list(original.workspace_id) if original else []
        records = uow.deployments.for_workspace(original.workspace_id) if original else {}
    if original is None:
        raise NotFound("no such transaction", subject=f"transaction {transaction_id}", field="id")
    if original.state is not TransactionState.COMMITTED:
        raise IllegalTransition(
            f"is {original.state.value}: only a committed transaction can be reverted"
            + (" (see `fabctl tx recover`)" if original.state is TransactionState.STARTED else ""),
            subject=original.subject,
            field="state",
        )
    require_journaled_fabric(original, gateway)
    ws = original.workspace_id
    target = _Target(
        gateway, ws, {i.id: i for i in gateway.list_items(ws)}, folder_paths(gateway.list_folders(ws)), records
    )
    conflicts = _changed_by_later(original, later)
    writes, more = _plan(original, target)
    conflicts += more
    if conflicts and not force:
        raise RevertRefused(
            "the workspace changed since; reverting would overwrite: "
            + "; ".join(conflicts)
            + ". Nothing was written. Use --force to revert anyway.",
            subject=original.subject,
            field="workspace",
        )
    tx = Transaction.start(
        ids.new_id(), ws, original.environment, clock.now(), original.source_dir, actor=actor,
        actor_object_id=actor_object_id,
    )  # fmt: skip
    tx.reason = f"reverts transaction {original.id}"  # a failure replaces it with its cause
    tx.fabric_url = str(getattr(gateway, "base_url", ""))  # `tx recover` reaches the same target
    result = RevertResult(tx.id, original.id, ws, overridden=conflicts)
    if stop is not None:
        stop.transaction_started(tx.id)
    try:
        with uow:
            claim_workspace(uow, tx, clock, machine=machine)  # refused while a deployment runs or one is unfinished
            uow.transactions.add(tx)
            uow.commit()
        # Renewed while the revert writes; lost, it stops before its next write, storing nothing more.
        with LeaseKeeper(uow, tx, clock, retry=retry) as keeper:
            _run(tx, writes, result, keeper, gateway, clock, stop)
        _count_rollback(tx, telemetry)
    finally:
        if stop is not None:
            stop.transaction_ended()
    return result


def _count_rollback(tx: Transaction, telemetry: Telemetry | None) -> None:
    """A revert undoes a deployment, as a rollback does: one `fabctl.rollbacks`, told apart by `trigger`. A
    revert whose own write failed, and that was itself rolled back, undid nothing: it counts as on_error."""
    if telemetry is None:
        return
    if tx.state is TransactionState.COMMITTED:
        telemetry.count("fabctl.rollbacks", environment=tx.environment, trigger="revert")
    elif tx.state in (TransactionState.ROLLED_BACK, TransactionState.ROLLBACK_INCOMPLETE):
        telemetry.count("fabctl.rollbacks", environment=tx.environment, trigger="on_error")


def _changed_by_later(original: Transaction, transactions: list[Transaction]) -> list[str]:
    touched = {s.item for s in original.steps if s.outcome is StepOutcome.SUCCEEDED}
    found = []
    for t in transactions:
        if t.id == original.id or t.started_at <= original.started_at:
            continue
        for s in t.steps:
            if s.item in touched and s.outcome in (StepOutcome.SUCCEEDED, StepOutcome.UNDO_FAILED):
                found.append(f"{s.item} was changed since by transaction {t.id} ({s.action.value})")
                touched.discard(s.item)
    return found


def _plan(original: Transaction, target: _Target) -> tuple[list[_Write], list[str]]:
    """The writes that undo the transaction, most recent step first, and the conflicts found."""
    writes: list[_Write] = []
    conflicts: list[str] = []
    activations: list[_Write] = []  # last: a previous value set may be one only the restored definition has
    # An item the transaction created is deleted: what it did to it since (a definition, a move, a shortcut,
    # a publish, a value set) goes with it, as in a rollback, instead of writes to an item about to go.
    created = {s.item_id for s in original.steps if s.action is StepAction.CREATE and s.item_id}
    for step in reversed(original.steps):
        if step.outcome is not StepOutcome.SUCCEEDED or step.action is StepAction.CREATE_FOLDER:
            continue  # folders the transaction created are left in place (there is no journaled folder delete)
        if step.action in GO_WITH_THEIR_ITEM and step.item_id in created:
            continue
        item = target.items.get(step.item_id or "")
        if step.action is StepAction.ACTIVATE_VALUE_SET and step.value_set is not None:
            if item is None:
                conflicts.append(f"{step.item} was deleted from the workspace since")
                continue
            write, changed = _value_set_back(target, item, step.value_set)
            if changed:
                conflicts.append(f"the active value set of {step.item} changed in the workspace since")
            activations.append(write)
        elif step.action is StepAction.SHORTCUT and step.shortcut is not None:
            if item is None:
                conflicts.append(f"{step.item} was deleted from the workspace since")
                continue
            write, changed = _shortcut_back(target, item, step.shortcut)
            if changed:
                conflicts.append(f"shortcut {step.shortcut.address} of {step.item} changed in the workspace since")
            writes.append(write)
        elif step.action is StepAction.CREATE:
            if item is None:
                continue  # already gone: the revert's goal holds
            if target.changed_since(item):
                conflicts.append(f"{step.item} changed in the workspace since it was created")
            writes.append(_delete(target, item))
        elif step.action is StepAction.DELETE and step.before is not None:
            before = step.before
            key = ItemKey(before.item_type, before.name)
            existing = next((i for i in target.items.values() if i.key == key), None)
            if existing is None:
                writes.append(_create(target, key, before))
            else:
                conflicts.append(f"{step.item} exists again in the workspace")
                writes.append(_restore(target, existing, before))
            writes.extend(_published(target, key, before, writes.pop()))
        elif step.before is not None:
            if item is None:
                conflicts.append(f"{step.item} was deleted from the workspace since")
                continue
            if step.action is StepAction.MOVE:
                if step.before.folder and step.before.folder not in target.folders:
                    conflicts.append(f"folder '{step.before.folder}' of {step.item} was deleted since")
                    continue
                writes.append(_move(target, item, step.before.folder))
            else:
                if not step.before.definition.is_empty and target.changed_since(item):
                    conflicts.append(f"{step.item} changed in the workspace since")
                writes.append(_restore(target, item, step.before))
                writes.extend(_published(target, item.key, step.before, writes.pop()))
    return writes + activations, conflicts


def _delete(target: _Target, item: RemoteItem) -> _Write:
    def call() -> str:
        with suppress(ItemNotFound):  # gone already: what the revert wants
            target.gateway.delete_item(target.workspace_id, item.id)
        return item.id

    before = target.image(item, with_definition=True)
    return _Write(StepAction.DELETE, item.key, item.id, before, call, lambda _id: None)


def _create(target: _Target, key: ItemKey, before: ItemImage) -> _Write:
    def call() -> str:
        return target.gateway.create_item(
            target.workspace_id, before.item_type, before.name, description=before.description,
            definition=None if before.definition.is_empty else before.definition,
            folder_id=target.folders.get(before.folder) if before.folder else None,
        ).id  # fmt: skip

    def record(item_id: str) -> DeployedItem:
        return DeployedItem(key, item_id, "", "", before.definition.content_hash(), "")

    return _Write(StepAction.CREATE, key, None, None, call, record)


def _restore(target: _Target, item: RemoteItem, before: ItemImage) -> _Write:
    rewrite = not before.definition.is_empty and item.type not in SHELL_ONLY_TYPES

    def call() -> str:
        if rewrite:
            target.gateway.update_definition(target.workspace_id, item.id, before.definition)
        target.gateway.update_item(target.workspace_id, item.id, name=before.name, description=before.description)
        return item.id

    def record(item_id: str) -> DeployedItem | None:
        held = target.records.get(item.key)
        if held is None or held.item_id != item_id:
            return held
        # What is deployed is no longer the source fabctl recorded: promotion must not trust it.
        deployed = before.definition.content_hash() if rewrite else held.deployed_hash
        return replace(held, source_hash="", deployed_hash=deployed)

    return _Write(StepAction.UPDATE, item.key, item.id, target.image(item, with_definition=rewrite), call, record)


def _shortcut_back(target: _Target, item: RemoteItem, done: ShortcutWrite) -> tuple[_Write, bool]:
    """The write putting a lakehouse's shortcut back as it was before `done`; and whether it changed since."""
    now = current_shortcut(target.gateway, target.workspace_id, item.id, done.address)
    changed = (now is None) != (done.after is None) or (
        now is not None and done.after is not None and not done.after.targets_like(now)
    )
    back = ShortcutWrite(done.path, done.name, now, done.before)

    def call() -> str:
        set_shortcut(target.gateway, target.workspace_id, item.id, done.path, done.name, done.before)
        return item.id

    record = lambda _id: target.records.get(item.key)  # noqa: E731 - the lakehouse's record is unchanged
    return _Write(StepAction.SHORTCUT, item.key, item.id, None, call, record, back), changed


def _value_set_back(target: _Target, item: RemoteItem, done: ValueSetWrite) -> tuple[_Write, bool]:
    """The write making the library's value set the one active before `done`; and whether it changed since."""
    now = target.gateway.get_active_value_set(target.workspace_id, item.id)

    def call() -> str:
        target.gateway.set_active_value_set(target.workspace_id, item.id, done.before)
        return item.id

    record = lambda _id: target.records.get(item.key)  # noqa: E731 - the library's record is unchanged
    back = ValueSetWrite(now, done.before)
    return _Write(
        StepAction.ACTIVATE_VALUE_SET, item.key, item.id, None, call, record, value_set=back
    ), now != done.after


def _published(target: _Target, key: ItemKey, before: ItemImage, written: _Write) -> list[_Write]:
    """`written`, then, when it puts an Environment's definition back, the write that publishes it (ADR 0025)."""
    if key.type not in PUBLISHED_TYPES or before.definition.is_empty:
        return [written]
    item_id = [written.item_id or ""]  # a re-created item's id is known once its write ran

    def write_and_note() -> str:
        item_id[0] = written.call()
        return item_id[0]

    def publish() -> str:
        target.gateway.publish_environment(target.workspace_id, item_id[0])
        return item_id[0]

    # None: the publish leaves the deployment record as the restore or re-creation made it.
    publishing = _Write(StepAction.PUBLISH, key, written.item_id, None, publish, lambda _id: None)
    return [replace(written, call=write_and_note), publishing]


def _move(target: _Target, item: RemoteItem, folder: str) -> _Write:
    def call() -> str:
        target.gateway.move_item(target.workspace_id, item.id, target.folders.get(folder) if folder else None)
        return item.id

    before = target.image(item, with_definition=False)
    return _Write(StepAction.MOVE, item.key, item.id, before, call, lambda _id: target.records.get(item.key))


def _run(
    tx: Transaction,
    writes: list[_Write],
    result: RevertResult,
    keeper: LeaseKeeper,
    gateway: FabricGateway,
    clock: Clock,
    stop: StopRequests | None,
) -> None:
    uow = keeper.uow
    done: list[tuple[_Write, str]] = []
    for write in writes:
        if keeper.lost():
            raise keeper.refusal()  # another holder owns the workspace: no write, no undo, nothing stored
        asked = stop.requested() if stop is not None else ""
        if asked:
            result.error = f"interrupted by {asked}: no further write was started"
            tx.fail(result.error, clock.now())
            _save(uow, tx, keeper)
            _undo(tx, result, keeper, gateway, clock)
            return
        step = tx.record_intent(
            write.action,
            str(write.key),
            write.item_id,
            write.before,
            shortcut=write.shortcut,
            value_set=write.value_set,
        )
        _save(uow, tx, keeper)  # write-ahead: the intent is durable before the write is attempted
        try:
            written = write.call()
        except GatewayError as e:
            tx.record_failure(step.number, str(e))
            result.outcomes.append(ItemOutcome(str(write.key), write.action.value, "failed", detail=str(e)))
            result.error = f"{write.key}: {e}"
            tx.fail(result.error, clock.now())
            _save(uow, tx, keeper)
            _undo(tx, result, keeper, gateway, clock)
            return
        tx.record_success(step.number, written)
        _save(uow, tx, keeper)
        result.outcomes.append(ItemOutcome(str(write.key), write.action.value, "done", written))
        done.append((write, written))
    tx.commit(clock.now())
    keeper.stop()  # every write is done; what follows frees the workspace
    with uow:
        keeper.verify(uow)  # records are only stored by the lease's holder
        for write, written in done:
            record = write.record(written)
            if record is None:
                if write.action is StepAction.DELETE:
                    uow.deployments.remove(tx.workspace_id, write.key)
                continue
            uow.deployments.put(tx.workspace_id, replace(record, item_id=written, transaction_id=tx.id))
        uow.transactions.add(tx)
        uow.leases.release(tx.workspace_id, tx.id)
        uow.commit()
    result.state = tx.state.value


def _undo(tx: Transaction, result: RevertResult, keeper: LeaseKeeper, gateway: FabricGateway, clock: Clock) -> None:
    """Roll the failed revert back: all or nothing, the workspace stays as it was."""
    roll_back(tx, gateway, keeper.uow, clock, keeper=keeper)
    keeper.stop()  # what follows frees the workspace
    _release(keeper.uow, tx)
    undone = {s.item for s in tx.steps if s.outcome is StepOutcome.UNDONE}
    result.outcomes = [
        replace(o, status="undone") if o.status == "done" and o.item in undone else o for o in result.outcomes
    ]
    result.state = tx.state.value


def _save(uow: UnitOfWork, tx: Transaction, keeper: LeaseKeeper) -> None:
    with uow:
        uow.transactions.add(tx)
        keeper.commit(uow)  # a live revert keeps its workspace; refused, nothing stored, once it is lost


def _release(uow: UnitOfWork, tx: Transaction) -> None:
    with uow:
        uow.leases.release(tx.workspace_id, tx.id)
        uow.commit()
