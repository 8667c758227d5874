"""Undoing a transaction's completed steps, most recent first, journaling every undo."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace

from fabctl.application.deployment.lease_keeper import LeaseKeeper
from fabctl.application.deployment.leases import holds_lease, renew_lease
from fabctl.application.deployment.shortcuts import undo_shortcut
from fabctl.application.deployment.target import folder_paths
from fabctl.application.deployment.value_set_plan import undo_activation
from fabctl.application.errors import GatewayError, ItemNotFound
from fabctl.application.ports import Clock, FabricGateway, UnitOfWork
from fabctl.domain.item_types import PUBLISHED_TYPES
from fabctl.domain.transaction import StepAction, StepOutcome, Transaction, TransactionState, TransactionStep

# Steps that change an item after it was written: undone by deleting the item when this transaction created it
# (by a rollback, and by `tx revert`).
GO_WITH_THEIR_ITEM = frozenset(
    {StepAction.UPDATE, StepAction.MOVE, StepAction.SHORTCUT, StepAction.PUBLISH, StepAction.ACTIVATE_VALUE_SET}
)
# Undone once every definition is back: a publish publishes the restored definition (ADR 0025), and a
# previous value set may be one only the restored definition has (ADR 0028).
_LAST = frozenset({StepAction.PUBLISH, StepAction.ACTIVATE_VALUE_SET})


def roll_back(
    tx: Transaction, gateway: FabricGateway, uow: UnitOfWork, clock: Clock, *, keeper: LeaseKeeper | None = None
) -> None:
    """Undo `tx`'s completed steps; a lease `tx` holds on the workspace is renewed as steps are undone.

    With `keeper` (renewing the lease meanwhile; `uow` is its shared one), losing the lease stops the
    rollback before its next undo, nothing more stored (`keeper.error()` is raised): the new holder owns it."""
    keep = keeper is not None or holds_lease(uow, tx)
    # A rollback a crash interrupted goes on with what it had not undone yet.
    steps = tx.steps_to_undo() if tx.state is TransactionState.ROLLING_BACK else tx.begin_rollback()
    _save(uow, tx, clock, keep, keeper)
    # An item this transaction created is deleted by undoing its creation: undoing the writes made to
    # it since (its definition sent after a reservation, a move) would only be calls before a delete.
    created = {s.item_id for s in steps if s.action is StepAction.CREATE and s.item_id}
    # A publish is undone by publishing again what its item's restored definition stages, so publishes come
    # last, once every definition is back (ADR 0025).
    steps = [s for s in steps if s.action not in _LAST] + [s for s in steps if s.action in _LAST]
    for step in steps:
        # (A shortcut or a publish goes with the item it was made in.)
        if step.action in GO_WITH_THEIR_ITEM and step.item_id in created:
            tx.record_undone(step.number)
            _save(uow, tx, clock, keep, keeper)
            continue
        if keeper is not None and keeper.lost():
            raise keeper.refusal()  # no undo is written to a workspace another holder has
        try:
            _undo(step, tx.workspace_id, gateway)
        except GatewayError as e:
            tx.record_undo_failure(step.number, str(e))
        else:
            tx.record_undone(step.number)
        _save(uow, tx, clock, keep, keeper)
    tx.finish_rollback(clock.now())
    with uow:
        _forget_undone(uow, tx)
        uow.transactions.add(tx)
        if keeper is not None:
            keeper.commit(uow)
            return
        if keep:
            renew_lease(uow, tx, clock)
        uow.commit()


def _forget_undone(uow: UnitOfWork, tx: Transaction) -> None:
    """Records `tx` wrote (a failed deployment records what it did) no longer describe what an undone
    step left: the record of an item it created goes, and one it changed loses its hashes, so the
    next plan compares that item with the workspace instead of trusting a content put back since."""
    undone = {s.item for s in tx.steps if s.outcome is StepOutcome.UNDONE}
    created = {s.item for s in tx.steps if s.action is StepAction.CREATE and s.outcome is StepOutcome.UNDONE}
    for key, record in uow.deployments.for_workspace(tx.workspace_id).items():
        if record.transaction_id != tx.id or str(key) not in undone:
            continue
        if str(key) in created:
            uow.deployments.remove(tx.workspace_id, key)
        else:
            uow.deployments.put(tx.workspace_id, replace(record, source_hash="", deployed_hash=""))


def _undo(step: TransactionStep, workspace_id: str, gateway: FabricGateway) -> None:
    if step.action is StepAction.CREATE and step.item_id:
        with suppress(ItemNotFound):  # already gone: the undo's goal holds
            gateway.delete_item(workspace_id, step.item_id)
    elif step.action is StepAction.CREATE_CONNECTION and step.item_id:
        with suppress(ItemNotFound):  # already gone: the undo's goal holds
            gateway.delete_connection(step.item_id)
    elif step.action is StepAction.CREATE_FOLDER and step.item_id:
        with suppress(ItemNotFound):  # already gone (an undo a crash interrupted): the goal holds
            gateway.delete_folder(workspace_id, step.item_id)
    elif step.action is StepAction.UPDATE and step.before and step.item_id:
        before = step.before
        if not before.definition.is_empty:
            gateway.update_definition(workspace_id, step.item_id, before.definition)
        gateway.update_item(workspace_id, step.item_id, name=before.name, description=before.description)
    elif step.action is StepAction.SHORTCUT and step.shortcut and step.item_id:
        undo_shortcut(gateway, workspace_id, step.item_id, step.shortcut)
    elif step.action is StepAction.MOVE and step.before and step.item_id:
        folder = step.before.folder
        # Folders created by this transaction are undone after this step, so the old one still exists.
        folder_id = folder_paths(gateway.list_folders(workspace_id)).get(folder) if folder else None
        gateway.move_item(workspace_id, step.item_id, folder_id)
    elif step.action is StepAction.PUBLISH and step.item_id:
        with suppress(ItemNotFound):  # gone since: nothing of it is published any more
            gateway.publish_environment(workspace_id, step.item_id)
    elif step.action is StepAction.ACTIVATE_VALUE_SET and step.value_set and step.item_id:
        undo_activation(gateway, workspace_id, step.item_id, step.value_set)
    elif step.action is StepAction.DELETE and step.before:
        before = step.before
        if any(i.type == before.item_type and i.name == before.name for i in gateway.list_items(workspace_id)):
            return  # re-created already (an undo a crash interrupted): never a duplicate
        folder_id = folder_paths(gateway.list_folders(workspace_id)).get(before.folder) if before.folder else None
        created = gateway.create_item(
            workspace_id,
            before.item_type,
            before.name,
            description=before.description,
            definition=None if before.definition.is_empty else before.definition,
            folder_id=folder_id,  # back where it was
        )
        if before.item_type in PUBLISHED_TYPES and not before.definition.is_empty:
            gateway.publish_environment(workspace_id, created.id)  # re-created staged only: as it was, published


def _save(uow: UnitOfWork, tx: Transaction, clock: Clock, keep_lease: bool, keeper: LeaseKeeper | None) -> None:
    with uow:
        uow.transactions.add(tx)  # add is an upsert: the journal is rewritten after every step
        if keeper is not None:
            keeper.commit(uow)  # refused, nothing stored, once the lease is lost
            return
        if keep_lease:
            renew_lease(uow, tx, clock)
        uow.commit()
