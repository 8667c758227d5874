"""Recovering a transaction a crash left unfinished: `fabctl tx recover ID --rollback | --resume`.

Recovery acts where the transaction wrote: the Fabric and the workspace it journaled, whatever the
configuration says now (a gateway to another Fabric is refused before anything is read or written).

A step whose outcome the journal does not know (the process died between intent and outcome) is
resolved by reading the workspace, never by guessing: a create happened if an item (or folder)
with its key is there, and is adopted, never made twice; an update or move happened unless the
item still equals its before-image; a delete happened if the item is gone.

Then `rollback` undoes every completed step (the usual rollback, which also finishes a rollback a
crash interrupted). `resume` plans the deployment afresh from the journaled source folder and
environment, for exactly the items it had planned, comparing every one of them with the live
workspace (a recorded hash is not trusted: the crash left the records behind the workspace), so
each planned step is either found done or redone. The interrupted transaction is committed only if
that plan has nothing left to do; otherwise it ends failed, and a new transaction that references
it (`resumes`) completes the deployment.

A transaction that was a promotion's deployment settles its request, which nothing else can once
the deploying process is gone: a rollback ends it failed (and rolled back), a resume ends it as the
completing deployment ends. A resume re-reads the source, so it proceeds only while the request's
approval still covers what it would deploy (`ensure_covered`), as the approval's own deployment does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.deployment.lease_keeper import LeaseKeeper
from fabctl.application.deployment.leases import holder_is_gone, journal_mark, renew_lease
from fabctl.application.deployment.planner import changed_parts
from fabctl.application.deployment.results import DeploymentResult
from fabctl.application.deployment.rollback import roll_back
from fabctl.application.deployment.run import Deps
from fabctl.application.deployment.target import folder_paths
from fabctl.application.errors import ItemNotFound
from fabctl.application.handlers.deployment import prepare_deployment, select
from fabctl.application.handlers.journaled_target import journaled_inputs, require_journaled_fabric, retargeted
from fabctl.application.handlers.promotion import settle_interrupted, terms_now
from fabctl.application.inbox import claim, ensure_unhandled
from fabctl.application.messagebus import run_once
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    DeploymentProgress,
    FabricGateway,
    IdGenerator,
    Machine,
    RemoteItem,
    SourceReader,
    StopRequests,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain.commands import RecoverTransaction
from fabctl.domain.errors import IllegalTransition, NotFound
from fabctl.domain.item_types import DATA_HOLDING_TYPES
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotionRequest, PromotionState
from fabctl.domain.transaction import (
    ItemImage,
    StepAction,
    StepOutcome,
    Transaction,
    TransactionState,
    TransactionStep,
    WorkspaceBusy,
)

MODES = ("rollback", "resume")
_RECOVERABLE = {
    "rollback": frozenset(
        {TransactionState.STARTED, TransactionState.FAILED, TransactionState.ROLLING_BACK,
         TransactionState.ROLLBACK_INCOMPLETE}
    ),
    "resume": frozenset({TransactionState.STARTED, TransactionState.FAILED}),
}  # fmt: skip


@dataclass
class RecoveryResult:
    transaction_id: str
    mode: str
    state: str = ""  # of the recovered transaction, at the end
    resolved: list[str] = field(default_factory=list)  # how each step of unknown outcome was resolved
    deployment: DeploymentResult | None = None  # resume: the transaction that completed the deployment

    @property
    def succeeded(self) -> bool:
        if self.mode == "rollback":
            return self.state == TransactionState.ROLLED_BACK.value
        return self.deployment is not None and self.deployment.succeeded


def recover_transaction(
    cmd: RecoverTransaction,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
    telemetry: Telemetry,
    progress: DeploymentProgress,
    machine: Machine | None = None,
    stop: StopRequests | None = None,
    retry: ConflictRetry = run_once,
) -> RecoveryResult:
    if cmd.mode not in MODES:
        raise IllegalTransition(f"unknown recovery mode '{cmd.mode}'", subject=f"transaction {cmd.transaction_id}")
    promotion = _promotion_deployed_by(uow, cmd.transaction_id)
    if promotion is not None and cmd.mode == "resume":
        promotion.ensure_covered(terms_now(reader, promotion)[0])
    tx = _claim(cmd, uow, gateway, clock, machine)
    result = RecoveryResult(tx.id, cmd.mode)
    # Renewed while the recovery reads and writes; lost, it stops before its next write, storing nothing more.
    with LeaseKeeper(uow, tx, clock, retry=retry) as keeper:
        kept = keeper.uow
        if tx.state is TransactionState.STARTED:
            result.resolved = resolve_pending(tx, gateway)
            _save(kept, tx, keeper)
        if cmd.mode == "rollback":
            if tx.state is TransactionState.STARTED:
                tx.fail("interrupted; rolled back by `fabctl tx recover`", clock.now())
            roll_back(tx, gateway, kept, clock, keeper=keeper)
            telemetry.count("fabctl.rollbacks", environment=tx.environment, trigger="recover")
            keeper.stop()  # what follows frees the workspace
            _close(kept, tx, inbox=cmd.message_id, keeper=keeper)
        else:
            deps = Deps(uow, gateway, clock, ids, telemetry, machine, stop, retry=retry)
            result.deployment = _resume(tx, cmd, reader, deps, progress, keeper)
    result.state = tx.state.value
    if promotion is not None:
        outcome = result.deployment.state if result.deployment is not None else tx.state.value
        error = result.deployment.error if result.deployment is not None else tx.reason
        settle_interrupted(uow, clock, promotion.id, error, outcome)
    return result


def _promotion_deployed_by(uow: UnitOfWork, transaction_id: str) -> PromotionRequest | None:
    """The request still `deploying` through this transaction, if it was a promotion's deployment."""
    with uow:
        deploying = [
            r for r in uow.promotions.list()
            if r.transaction_id == transaction_id and r.state is PromotionState.DEPLOYING
        ]  # fmt: skip
    return deploying[0] if deploying else None


def _resume(
    tx: Transaction,
    cmd: RecoverTransaction,
    reader: SourceReader,
    deps: Deps,
    progress: DeploymentProgress,
    keeper: LeaseKeeper,
) -> DeploymentResult:
    """Close `tx` and complete its deployment, in its journaled workspace, as a new transaction.

    `keeper` keeps `tx`'s lease until the close; the new transaction takes (and keeps) its own."""
    inputs = retargeted(journaled_inputs(reader, tx, cmd.config_path, cmd.parameter_path), tx)
    # Planned while `tx` still holds the workspace: nobody writes between this reading and the close.
    prepared = prepare_deployment(
        inputs, deps.gateway, keeper.uow, refresh=True, allow_dangling=tx.inputs.allow_dangling,
        **_planned_scope(tx, inputs),
    )  # fmt: skip
    new_id = deps.ids.new_id()
    if tx.state is TransactionState.STARTED:
        if not prepared.plan.has_changes and all(s.outcome is StepOutcome.SUCCEEDED for s in tx.steps):
            tx.commit(deps.clock.now())  # verified: what it planned is all in place
        else:
            tx.fail(f"interrupted; resumed by transaction {new_id}", deps.clock.now())
    keeper.stop()  # what follows frees the workspace
    mark = _close(keeper.uow, tx, inbox=cmd.message_id, keeper=keeper)
    progress.started(prepared.plan)
    return execute(
        dataclasses.replace(prepared, journal_mark=mark), deps, transaction_id=new_id,
        message_id=f"{cmd.message_id}/resume", on_error="stop", on_progress=progress.item_finished,
        resumes=tx.id, actor=cmd.requested_by, actor_object_id=cmd.actor_object_id,
    )  # fmt: skip


def _planned_scope(tx: Transaction, inputs: DeploymentInputs) -> dict[str, Any]:
    """Plan again exactly what `tx` planned: its items (still in the source) and its deletions."""
    if not tx.scope and not tx.deletes:  # a journal from before scopes were kept: the whole source
        return {"only": select(inputs, None)}
    data_items = tuple(k for k in tx.deletes if ItemKey.parse(k).type in DATA_HOLDING_TYPES)
    return {
        "only": {key for key in map(ItemKey.parse, tx.scope) if key in inputs.source},
        "delete_orphans": bool(tx.deletes),
        "delete_data_items": data_items,
    }


def _claim(
    cmd: RecoverTransaction, uow: UnitOfWork, gateway: FabricGateway, clock: Clock, machine: Machine | None
) -> Transaction:
    """The transaction, with its workspace's lease taken for it; refused if anything else is running.

    Its own lease is taken over when its process is gone (on this host), or with --force."""
    with uow:
        ensure_unhandled(uow, cmd.message_id)  # a duplicate is not refused as a recovery with nothing to do
        tx = uow.transactions.get(cmd.transaction_id)
        if tx is None:
            raise NotFound("no such transaction", subject=f"transaction {cmd.transaction_id}", field="id")
        if tx.state not in _RECOVERABLE[cmd.mode]:
            raise IllegalTransition(
                f"is {tx.state.value}: there is nothing to {cmd.mode}", subject=tx.subject, field="state"
            )
        require_journaled_fabric(tx, gateway)
        lease = uow.leases.get(tx.workspace_id)
        if lease is not None and lease.holder != tx.id:
            raise WorkspaceBusy(
                f"{lease.describe()} is deploying to workspace {tx.workspace_id}; recover when it has finished",
                subject=tx.subject,
                field="lease",
            )
        if lease is not None and not cmd.force and not holder_is_gone(lease, machine):
            until = lease.until.isoformat(timespec="seconds")
            where = f" by pid {lease.process.pid} on host {lease.process.host}" if lease.process else ""
            raise WorkspaceBusy(
                f"may still be running{where}: it holds the workspace's lease until {until}. If its process is "
                "gone (killed, lost runner), add --force to take over",
                subject=tx.subject,
                field="lease",
            )
        tx.recovered_by, tx.recovered_by_object_id = cmd.requested_by, cmd.actor_object_id
        renew_lease(uow, tx, clock, machine)  # this process holds it now
        uow.commit()
    return tx


def resolve_pending(tx: Transaction, gateway: FabricGateway) -> list[str]:
    """Decide, by reading the workspace, how every step of unknown outcome ended; one line per step."""
    pending = tx.pending_steps
    if not pending:
        return []
    ws = tx.workspace_id
    items = gateway.list_items(ws)
    folders = folder_paths(gateway.list_folders(ws))
    lines = []
    for step in pending:
        landed, item_id, why = _landed(step, ws, items, folders, gateway)
        if landed:
            tx.record_success(step.number, item_id)
        else:
            tx.record_failure(step.number, f"not applied (found by reading the workspace): {why}")
        lines.append(f"step {step.number} {step.action.value} {step.item}: {'done' if landed else 'not done'}, {why}")
    return lines


def _landed(
    step: TransactionStep, ws: str, items: list[RemoteItem], folders: dict[str, str], gateway: FabricGateway
) -> tuple[bool, str, str]:
    """(did the write happen, the item id to journal, why we think so)."""
    if step.action is StepAction.SHORTCUT:
        # Counted as done either way: undoing it puts its before-image back, which holds if it never landed.
        return True, step.item_id or "", "a shortcut write is undone by restoring the shortcut it replaced"
    if step.action is StepAction.ACTIVATE_VALUE_SET:
        # Counted as done either way, like a shortcut: undoing it activates the set it replaced.
        return True, step.item_id or "", "an activation is undone by activating the value set it replaced"
    if step.action is StepAction.CREATE_CONNECTION:
        name = step.item.rpartition(".")[0].casefold()
        made = next((c for c in gateway.list_connections() if c.display_name.casefold() == name), None)
        return (True, made.id, "the connection exists: adopted") if made else (False, "", "no such connection")
    if step.action is StepAction.CREATE_FOLDER:
        found = folders.get(step.item)
        return (True, found, "the folder exists") if found else (False, "", "the folder does not exist")
    if step.action is StepAction.CREATE:
        key = ItemKey.parse(step.item)
        match = next((i for i in items if i.key == key), None)
        return (True, match.id, "the item exists: adopted") if match else (False, "", "the item does not exist")
    if step.action is StepAction.PUBLISH:
        # What a publish did is not read back; counted as not done, its item is not recorded as deployed,
        # so the next deployment writes and publishes it again.
        return False, "", "a publish is not read back from the workspace"
    current = next((i for i in items if i.id == step.item_id), None)
    if step.action is StepAction.DELETE:
        return (False, "", "the item is still there") if current else (True, step.item_id or "", "the item is gone")
    before = step.before
    if current is None or before is None:
        return False, "", "the item is not in the workspace"
    if step.action is StepAction.MOVE:
        here = next((p for p, fid in folders.items() if fid == current.folder_id), "") if current.folder_id else ""
        if here == before.folder:
            return False, "", "the item is still in its old folder"
        return True, current.id, "the item is in another folder"
    same_meta = (current.name, current.description) == (before.name, before.description)
    same_definition = before.definition.is_empty or not _definition_changed(ws, current.id, before, gateway)
    if same_meta and same_definition:
        return False, "", "the item still equals its before-image"
    return True, current.id, "the item differs from its before-image"


def _definition_changed(ws: str, item_id: str, before: ItemImage, gateway: FabricGateway) -> bool:
    try:
        current = gateway.get_definition(ws, item_id).without_platform()
    except ItemNotFound:
        return True
    return bool(changed_parts(before.definition.without_platform(), current))


def _save(uow: UnitOfWork, tx: Transaction, keeper: LeaseKeeper) -> None:
    with uow:
        uow.transactions.add(tx)
        keeper.commit(uow)  # refused, nothing stored, once the lease is lost


def _close(uow: UnitOfWork, tx: Transaction, *, inbox: str, keeper: LeaseKeeper) -> str:
    """Store `tx` as it ended and free its workspace; the journal's mark once it is closed."""
    with uow:
        claim(uow, inbox)
        keeper.verify(uow)  # only the lease's holder stores how the transaction ended
        uow.transactions.add(tx)
        uow.leases.release(tx.workspace_id, tx.id)
        uow.commit()
        mark = journal_mark(uow.transactions.summaries(tx.workspace_id))
    return mark
