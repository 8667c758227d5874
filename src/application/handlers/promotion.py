"""Promotion requests: opened with the terms they pin, approved under separation of duties, deployed
when approved (and only on the terms approved), ending `succeeded`, `failed` or `rolled_back`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fabctl.application.deployment.executor import execute
from fabctl.application.deployment.inputs import DeploymentInputs, load_inputs
from fabctl.application.deployment.run import Deps
from fabctl.application.deployment.target import find_workspace
from fabctl.application.deployment.validation import ValidationFailed
from fabctl.application.errors import GatewayError
from fabctl.application.handlers.deployment import prepare_deployment
from fabctl.application.inbox import claim, ensure_unhandled
from fabctl.application.messagebus import run_once
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    Directory,
    FabricGateway,
    IdGenerator,
    Machine,
    SourceReader,
    StopRequests,
    Telemetry,
    UnitOfWork,
)
from fabctl.domain import commands, events
from fabctl.domain.approval_terms import ApprovalTerms
from fabctl.domain.errors import DomainError, NotFound, PromotionRuleViolation
from fabctl.domain.identity import Identity
from fabctl.domain.items import ItemKey
from fabctl.domain.promotion import Governance, PromotedItem, PromotionRequest, PromotionState
from fabctl.domain.promotion_rules import Evaluation, RuleSet, evaluate
from fabctl.domain.transaction import TransactionState
from fabctl.domain.validation.required import requiring

logger = logging.getLogger(__name__)


def request_promotion(
    cmd: commands.RequestPromotion,
    *,
    uow: UnitOfWork,
    gateway: FabricGateway,
    reader: SourceReader,
    clock: Clock,
    ids: IdGenerator,
) -> PromotionRequest:
    requester = Identity.parse(cmd.requested_by, source="requested_by")
    inputs = load_inputs(reader, cmd.source_dir, cmd.source_environment, cmd.config_path)
    source, config, source_env = inputs.source, inputs.config, inputs.environment
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
    judged = evaluate(
        target_env.promotion.rules, (str(k) for k in keys), source_environment=source_env.name,
        change=cmd.change, at=clock.now(), emergency=cmd.emergency, validation=target_env.validation,
    )  # fmt: skip
    refuse_if_any(judged, config.source)
    workspace = find_workspace(gateway, source_env, config.source)
    target = find_workspace(gateway, target_env, config.source)
    request_id = ids.new_id()
    with uow:
        claim(uow, cmd.message_id)
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
            request_id=request_id,
            source_dir=cmd.source_dir,
            source_environment=source_env.name,
            target_environment=target_env.name,
            requested_by=requester,
            items=tuple(pinned),
            required_approvals=target_env.promotion.required_approvals(k.type for k in keys),
            at=clock.now(),
            note=cmd.note,
            config_path=cmd.config_path,
            terms=ApprovalTerms.of(
                salt=request_id, source=source, promoted=keys,
                environment=target_env, parameters=inputs.rules,
            ),
            target_workspace_id=target.id if target else "",
            requester_object_id=cmd.actor_object_id,
            governance=Governance(
                cmd.change, judged.emergency, judged.approver_groups, judged.emergency_approvers, judged.validations
            ),
        )  # fmt: skip
        uow.promotions.add(request)
        uow.commit()
    return request


def refuse_if_any(judged: Evaluation, config_source: str) -> None:
    """Refuse, naming every rule that refuses (the first as the field, the others after it)."""
    if judged.refusals:
        first, *others = judged.refusals
        raise PromotionRuleViolation(
            str(first), subject=config_source, field=f"promotion.rules.{first.rule}",
            also=[(f"promotion.rules.{r.rule}", str(r)) for r in others],
        )  # fmt: skip


def _load(uow: UnitOfWork, request_id: str) -> PromotionRequest:
    request = uow.promotions.get(request_id)
    if request is None:
        raise NotFound("no such promotion request", subject=f"promotion request {request_id}", field="id")
    return request


def terms_now(reader: SourceReader, request: PromotionRequest) -> tuple[ApprovalTerms, DeploymentInputs]:
    """The terms the request would be deployed on if it were deployed now, and the inputs they come from."""
    inputs = load_inputs(reader, request.source_dir, request.target_environment, request.config_path)
    terms = ApprovalTerms.of(
        salt=request.id, source=inputs.source, promoted=(ItemKey.parse(i.key) for i in request.items),
        environment=inputs.environment, parameters=inputs.rules,
    )  # fmt: skip
    return terms, inputs


# The directory that says who is in the groups a workspace configuration's rules name, by that file's path.
DirectoryFor = Callable[[str], Directory]


def approve_promotion(
    cmd: commands.ApprovePromotion,
    *,
    uow: UnitOfWork,
    reader: SourceReader,
    clock: Clock,
    directory_for: DirectoryFor | None = None,
) -> PromotionRequest:
    approver = Identity.parse(cmd.approver, source="approver")
    with uow:  # the cheap refusals first: nothing is read for a request that cannot be approved anyway
        ensure_unhandled(uow, cmd.message_id)  # a duplicate is not refused as an approval given twice
        request = _load(uow, cmd.request_id)
        request.ensure_approvable_by(approver, cmd.actor_object_id)
    now, inputs = terms_now(reader, request)
    member_of = _member_of(request, approver, cmd.actor_object_id, directory_for, inputs.config.source)
    with uow:
        claim(uow, cmd.message_id)
        request = _load(uow, cmd.request_id)
        request.approve(approver, clock.now(), cmd.comment, now=now, object_id=cmd.actor_object_id, member_of=member_of)
        uow.commit()
    return request


def _member_of(
    request: PromotionRequest,
    approver: Identity,
    object_id: str,
    directory_for: DirectoryFor | None,
    config_source: str,
) -> frozenset[str]:
    """Which of the groups the request's rules name the approver is in, asked at approval time."""
    groups = request.groups_to_check
    if not groups:
        return frozenset()
    if directory_for is None:
        raise PromotionRuleViolation(
            "the promotion rules name approver groups, and no directory is configured to check them",
            subject=request.subject, field="approver_groups",
        )  # fmt: skip
    directory = directory_for(config_source)
    return frozenset(g for g in groups if directory.is_member(g, actor=str(approver), object_id=object_id))


def reject_promotion(cmd: commands.RejectPromotion, *, uow: UnitOfWork, clock: Clock) -> PromotionRequest:
    with uow:
        claim(uow, cmd.message_id)
        request = _load(uow, cmd.request_id)
        request.reject(
            Identity.parse(cmd.rejected_by, source="rejected_by"), cmd.reason, clock.now(), cmd.actor_object_id
        )
        uow.commit()
    return request


def cancel_promotion(cmd: commands.CancelPromotion, *, uow: UnitOfWork, clock: Clock) -> PromotionRequest:
    with uow:
        claim(uow, cmd.message_id)
        request = _load(uow, cmd.request_id)
        request.cancel(Identity.parse(cmd.cancelled_by, source="cancelled_by"), clock.now(), cmd.actor_object_id)
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
    machine: Machine | None = None,
    stop: StopRequests | None = None,
    retry: ConflictRetry = run_once,
) -> PromotionRequest:
    transaction_id = ids.new_id()
    with uow:
        claim(uow, cmd.message_id)
        request = _load(uow, cmd.request_id)
        request.start_deployment(transaction_id, clock.now())
        uow.commit()
    deps = Deps(uow, gateway, clock, ids, telemetry, machine, stop, retry=retry)
    try:
        error, state = _deploy(request, reader, deps, transaction_id=transaction_id, message_id=cmd.message_id)
    except BaseException as e:
        # Whatever went wrong (Fabric refusing, a bug, an interrupt), the request must not stay `deploying`.
        request = _close(uow, clock, cmd.request_id, _reason(e), TransactionState.FAILED.value)
        if not isinstance(e, Exception):
            raise
        if not isinstance(e, DomainError | GatewayError):
            logger.exception("the deployment of promotion request %s failed", cmd.request_id)
        return request
    request = _close(uow, clock, cmd.request_id, error, state)
    if request.state is PromotionState.SUCCEEDED:
        _measure_promotion(request, telemetry, clock)
    return request


def _measure_promotion(request: PromotionRequest, telemetry: Telemetry, clock: Clock) -> None:
    """Lead time (requested -> succeeded) and approval wait (requested -> the approval that completed it)."""
    if not request.audit:
        return
    requested = request.audit[0].at  # the trail opens with the request
    environment = request.target_environment
    telemetry.record("fabctl.promotion.lead_time", (clock.now() - requested).total_seconds(), environment=environment)
    if request.approvals:
        wait = (request.approvals[-1].at - requested).total_seconds()
        telemetry.record("fabctl.promotion.approval_wait", wait, environment=environment)


def _deploy(
    request: PromotionRequest, reader: SourceReader, deps: Deps, *, transaction_id: str, message_id: str
) -> tuple[str, str]:
    """Deploy the request's items on its terms; (error, transaction state)."""
    now, inputs = terms_now(reader, request)
    request.ensure_covered(now)  # checked again, on the very inputs that are deployed
    _judge_freeze_at_start(request, inputs, deps)
    only = {ItemKey.parse(i.key) for i in request.items}
    try:
        prepared = prepare_deployment(inputs, deps.gateway, deps.uow, only=only, machine=deps.machine)
    except ValidationFailed as e:
        raise required_validations_failed(e, inputs.environment.promotion.rules, request.subject) or e from None
    _ensure_same_workspace(request, prepared.view.workspace.id if prepared.view.workspace else "")
    on_error = "rollback" if inputs.environment.flags.rollback_on_failure else "stop"
    # The deployment is the act of whoever gave the approval that completed the request.
    last = request.approvals[-1] if request.approvals else None
    actor, object_id = (
        (str(last.approver), last.object_id) if last else (str(request.requested_by), request.requester_object_id)
    )
    result = execute(
        prepared, deps, transaction_id=transaction_id, message_id=f"{message_id}-tx", on_error=on_error, actor=actor,
        actor_object_id=object_id,
    )  # fmt: skip
    return result.error, result.state


def _judge_freeze_at_start(request: PromotionRequest, inputs: DeploymentInputs, deps: Deps) -> None:
    """Freeze windows judged again as the deployment starts: a request made before a window does not deploy in
    it. An emergency request deploys, and the trail says it did so in the window."""
    at = deps.clock.now()
    judged = evaluate(
        inputs.environment.promotion.rules, (i.key for i in request.items),
        source_environment=request.source_environment, change=request.change, at=at, emergency=request.emergency,
    )  # fmt: skip
    frozen = [r for r in judged.refusals if r.rule in ("freeze_windows", "emergency_approvers")]
    if frozen:
        raise PromotionRuleViolation(
            f"not deployed, the freeze began after the request: {frozen[0].message}",
            subject=request.subject, field=f"promotion.rules.{frozen[0].rule}",
        )  # fmt: skip
    if judged.emergency:
        with deps.uow:
            current = _load(deps.uow, request.id)
            current.deploy_in_freeze(at)
            deps.uow.commit()


def required_validations_failed(
    failed: ValidationFailed, rules: RuleSet, subject: str
) -> PromotionRuleViolation | None:
    """The promotion's refusal naming, for each check that failed, the rule that requires it and the item type;
    None when no rule required the checks that failed (the gate's own refusal then stands)."""
    required = []
    for item, check in failed.failed:
        item_type = item.rpartition(".")[2]
        rule = rules.for_type(item_type)
        name = requiring(rule.validations, check)
        if name:
            required.append(f"{item_type} items must pass {name} ({rule.origin})")
    if not required:
        return None
    return PromotionRuleViolation(
        "a validation the promotion rules require did not pass: " + "; ".join(dict.fromkeys(required)),
        subject=subject, field="promotion.rules.validations", also=failed.problems,
    )  # fmt: skip


def _ensure_same_workspace(request: PromotionRequest, workspace_id: str) -> None:
    # A workspace that did not exist when requested may have been created since (by another
    # promotion): the configuration names it, and that is pinned. One that existed must be the same.
    if request.target_workspace_id and workspace_id != request.target_workspace_id:
        raise PromotionRuleViolation(
            f"environments.{request.target_environment} now resolves to workspace {workspace_id or '(none)'}, "
            f"not {request.target_workspace_id} as when requested; open a new request",
            subject=request.subject,
            field="terms",
        )


def settle_interrupted(uow: UnitOfWork, clock: Clock, request_id: str, error: str, state: str) -> PromotionRequest:
    """End a request whose deploying process died, as its recovered transaction `state` ended."""
    return _close(uow, clock, request_id, error, state)


def _close(uow: UnitOfWork, clock: Clock, request_id: str, error: str, state: str) -> PromotionRequest:
    with uow:
        request = _load(uow, request_id)
        if state == TransactionState.COMMITTED.value:
            request.succeed(clock.now())
        else:
            request.fail(error or f"the deployment ended {state}", clock.now())
            if state == TransactionState.ROLLED_BACK.value:
                request.mark_rolled_back(clock.now())
        uow.commit()
    return request


def _reason(error: BaseException) -> str:
    if isinstance(error, DomainError | GatewayError):
        return str(error)
    if not isinstance(error, Exception):
        return f"interrupted ({type(error).__name__}) while deploying; see `fabctl tx list` for what was done"
    return f"internal error {type(error).__name__}: {error} (the traceback is in the log)"
