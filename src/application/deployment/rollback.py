"""Undoing a transaction's completed steps, most recent first, journaling every undo."""

from __future__ import annotations

from contextlib import suppress

from fabctl.application.deployment.target import folder_paths
from fabctl.application.errors import GatewayError, ItemNotFound
from fabctl.application.ports import Clock, FabricGateway, UnitOfWork
from fabctl.domain.transaction import StepAction, Transaction, TransactionStep


def roll_back(tx: Transaction, gateway: FabricGateway, uow: UnitOfWork, clock: Clock) -> None:
    steps = tx.begin_rollback()
    _save(uow, tx)
    for step in steps:
        try:
            _undo(step, tx.workspace_id, gateway)
        except GatewayError as e:
            tx.record_undo_failure(step.number, str(e))
        else:
            tx.record_undone(step.number)
        _save(uow, tx)
    tx.finish_rollback(clock.now())
    _save(uow, tx)


def _undo(step: TransactionStep, workspace_id: str, gateway: FabricGateway) -> None:
    if step.action is StepAction.CREATE and step.item_id:
        with suppress(ItemNotFound):  # already gone: the undo's goal holds
            gateway.delete_item(workspace_id, step.item_id)
    elif step.action is StepAction.CREATE_FOLDER and step.item_id:
        gateway.delete_folder(workspace_id, step.item_id)
    elif step.action is StepAction.UPDATE and step.before and step.item_id:
        before = step.before
        if not before.definition.is_empty:
            gateway.update_definition(workspace_id, step.item_id, before.definition)
        gateway.update_item(workspace_id, step.item_id, name=before.name, description=before.description)
    elif step.action is StepAction.MOVE and step.before and step.item_id:
        folder = step.before.folder
        # Folders created by this transaction are undone after this step, so the old one still exists.
        folder_id = folder_paths(gateway.list_folders(workspace_id)).get(folder) if folder else None
        gateway.move_item(workspace_id, step.item_id, folder_id)
    elif step.action is StepAction.DELETE and step.before:
        before = step.before
        gateway.create_item(
            workspace_id,
            before.item_type,
            before.name,
            description=before.description,
            definition=None if before.definition.is_empty else before.definition,
        )


def _save(uow: UnitOfWork, tx: Transaction) -> None:
    with uow:
        uow.transactions.add(tx)  # add is an upsert: the journal is rewritten after every step
        uow.commit()
