"""Promotion requests: opened, approved under separation of duties, deployed when approved."""

from __future__ import annotations

import os

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import CONFIG_FILE, load_inputs
from fabctl.application.deployment.run import Deps
from fabctl.application.deployment.target import find_workspace
from fabctl.application.handlers.deployment import prepare_deployment
from fabctl.application.ports import Clock, FabricGateway, IdGenerator, SourceReader, Telemetry, UnitOfWork
from fabctl.domain import commands, events
from fabctl.domain.errors import DomainError, NotFound, PromotionRuleViolation
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import PromotedItem, PromotionRequest
from fabctl.domain.transaction import TransactionState
from fabctl.domain.workspace import Workspace


def request_promotion(
    cmd: commands.RequestPromotion,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
) -> PromotionRequest:
    source = reader.read_workspace(cmd.source_dir)
    config_path = cmd.config_path or os.path.join(cmd.source_dir, CONFIG_FILE)
    config = reader.read_release_config(config_path)
    source_env = config.environment(cmd.source_environment)
    target_env = config.next_after(source_env.name)
    if cmd.target_environment and cmd.target_environment != target_env.name:
        config.environment(cmd.target_environment)  # an unknown name gets its own message
        raise PromotionRuleViolation(
            f"'{source_env.name}' promotes to '{target_env.name}', not to '{cmd.target_environment}'",
            subject=config.source,
            field="environments",
        )
    keys = {ItemKey.parse(text) for text in cmd.items} or {item.key for item in source}
    source.refuse_unrecognised(lambda item: not cmd.items or item.key in keys)  # an unknown type it would take
    for key in sorted(keys):
        if key not in source:
            raise NotFound(f"no item '{key}' in the source", subject=cmd.source_dir, field="items")
    workspace = find_workspace(gateway, source_env, config.source)
    with uow:
        owned = uow.deployments.for_workspace(workspace.id) if workspace else {}
        pinned = []
        for key in sorted(keys):
            item = source.get(key)
            assert item is not None
            record = owned.get(key)
            if record is None or record.source_hash != item.definition.content_hash():
                raise PromotionRuleViolation(
                    f"{key} is not deployed to '{source_env.name}' with this content; "
                    f"deploy it there first (fabctl deploy {cmd.source_dir} --env {source_env.name})",
                    subject=cmd.source_dir,
                    field="items",
                )
            pinned.append(PromotedItem(str(key), record.source_hash))
        request = PromotionRequest.open(
            request_id=ids.new_id(),
            source_dir=cmd.source_dir,
            source_environment=source_env.name,
            target_environment=target_env.name,
            requested_by=cmd.requested_by,
            items=tuple(pinned),
            required_approvals=target_env.promotion.required_approvals(k.type for k in keys),
            at=clock.now(),
            note=cmd.note,
            config_path=cmd.config_path,
        )
        uow.promotions.add(request)
        uow.inbox.add(cmd.message_id)
        uow.commit()
    return request


def _load(uow: UnitOfWork, request_id: str) -> PromotionRequest:
    request = uow.promotions.get(request_id)
    if request is None:
        raise NotFound("no such promotion request", subject=f"promotion request {request_id}", field="id")
    return request


def approve_promotion(cmd: commands.ApprovePromotion, *, uow: UnitOfWork, clock: Clock) -> PromotionRequest:
    with uow:
        request = _load(uow, cmd.request_id)
        request.approve(cmd.approver, clock.now(), cmd.comment)
        uow.inbox.add(cmd.message_id)
        uow.commit()
    return request


def reject_promotion(cmd: commands.RejectPromotion, *, uow: UnitOfWork, clock: Clock) -> PromotionRequest:
    with uow:
        request = _load(uow, cmd.request_id)
        request.reject(cmd.rejected_by, cmd.reason, clock.now())
        uow.inbox.add(cmd.message_id)
        uow.commit()
    return request


def cancel_promotion(cmd: commands.CancelPromotion, *, uow: UnitOfWork, clock: Clock) -> PromotionRequest:
    with uow:
        request = _load(uow, cmd.request_id)
        request.cancel(cmd.cancelled_by, clock.now())
        uow.inbox.add(cmd.message_id)
        uow.commit()
    return request


def deploy_when_approved(event: events.PromotionApproved) -> list[commands.Command]:
    # The message id derives from the request, so a redelivered approval deploys only once.
    return [commands.DeployPromotion(f"deploy-promotion-{event.request_id}", event.request_id)]


def deploy_promotion(
    cmd: commands.DeployPromotion,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
    telemetry: Telemetry,
) -> PromotionRequest:
    transaction_id = ids.new_id()
    with uow:
        request = _load(uow, cmd.request_id)
        request.start_deployment(transaction_id, clock.now())
        uow.inbox.add(cmd.message_id)
        uow.commit()
    try:
        inputs = load_inputs(reader, request.source_dir, request.target_environment, request.config_path)
        _check_pins(request, inputs.source)
        only = {ItemKey.parse(i.key) for i in request.items}
        prepared = prepare_deployment(inputs, gateway, uow, only=only)
        on_error = "rollback" if inputs.environment.protected else "stop"
        result = execute(
            prepared, Deps(uow, gateway, clock, ids, telemetry),
            transaction_id=transaction_id, message_id=f"{cmd.message_id}-tx", on_error=on_error,
        )  # fmt: skip
        error = result.error
        state = result.state
    except DomainError as e:
        error, state = str(e), TransactionState.FAILED.value
    with uow:
        request = _load(uow, cmd.request_id)
        if state == TransactionState.COMMITTED.value:
            request.succeed(clock.now())
        else:
            request.fail(error, clock.now())
            if state == TransactionState.ROLLED_BACK.value:
                request.mark_rolled_back(clock.now())
        uow.commit()
    return request


def _check_pins(request: PromotionRequest, source: Workspace) -> None:
    for pinned in request.items:
        item = source.get(ItemKey.parse(pinned.key))
        if item is None or item.definition.content_hash() != pinned.source_hash:
            raise PromotionRuleViolation(
                f"{pinned.key} changed in the source since it was requested; what is deployed must be "
                "what was approved, so open a new request",
                subject=request.subject,
                field="items",
            )
