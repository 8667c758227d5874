"""`fabctl promote request|approve|reject|cancel|show|list`."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, USER_OPTION, app, emit_json

if TYPE_CHECKING:
    from fabctl.domain.promotion import PromotionRequest
    from fabctl.domain.promotion_rules import Evaluation
    from fabctl.entrypoints.bootstrap import App
    from fabctl.entrypoints.cli.acting import Acting


def _show(request: PromotionRequest, output: str, judged: Evaluation | None = None) -> None:
    """The request; with `judged`, the rules that applied to each item and why (as `fabctl rules check`)."""
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable
    from fabctl.entrypoints.cli.rules_render import rules, rules_json

    if output == "json":
        document = to_jsonable(request)
        # Whether each name is a signed-in principal's (verified) or typed: said, not left to infer.
        document["requester_verified"] = request.requester_verified
        for approval, shown in zip(request.approvals, document["approvals"], strict=True):
            shown["verified"] = approval.verified
        if judged is not None:
            document["rules"] = rules_json(judged)
        emit_json(document)
    else:
        render.promotion(request)
        if judged is not None:
            click.echo("Rules:")
            rules(judged)


def _current(request_id: str) -> PromotionRequest:
    from fabctl.application.queries import get_promotion

    return get_promotion(app().uow, request_id)


def _who(user: str | None, application: App) -> Acting:
    """Who acts: the signed-in principal (verified; --user is then refused), else --user or FABCTL_USER
    (checked by the option), else the user setting, checked here (cli/acting.py)."""
    from fabctl.entrypoints.cli.acting import acting

    return acting(user, application, check_setting=True)


@click.group(cls=WholeSummaryGroup)
def promote() -> None:
    """Promote items from one environment to the next, with approvals and an audit trail.

    \b
    A request pins what an approval covers: the items' content as deployed to the source
    environment, the source's set of items, parameter.yml's values for the target environment
    and the target environment's configuration. If any of it changes, approving is refused.
    A request needs the approvals the target environment's rules require (per item type),
    never from its requester and never twice from one person: names compare as identities
    (case-insensitively; DOMAIN\\user and user@domain are one account). Only its requester or
    an approver may cancel it. When fully approved it is deployed to the target environment.
    """


@promote.command("request")
@click.argument("source_dir", type=click.Path(file_okay=False))
@click.option("--from", "source_environment", required=True, help="The environment the items are in.")
@click.option("--to", "target_environment", default="", help="The next environment (the default).")
@click.option("--item", "items", multiple=True, help="Only this item, as Name.Type (repeatable).")
@click.option("--note", default="", help="Why: shown to approvers and kept in the audit trail.")
@click.option("--change", default="", help="The change reference the rules' change_pattern asks for.")
@click.option("--emergency", is_flag=True, help="In a freeze window: ask the rules' emergency approvers.")
@click.option(
    "--config", "config_path", default="", help="Workspace config [default: SOURCE_DIR/workspace-config.yaml]."
)
@USER_OPTION
@FABRIC_URL_OPTION
@OUTPUT_OPTION
def request_(
    source_dir: str,
    source_environment: str,
    target_environment: str,
    items: tuple[str, ...],
    note: str,
    change: str,
    emergency: bool,
    config_path: str,
    user: str | None,
    fabric_url: str | None,
    output: str,
) -> None:
    """Ask to promote SOURCE_DIR's items from one environment to the next."""
    from fabctl.domain.commands import RequestPromotion

    application = app(fabric_url=fabric_url)
    who = _who(user, application)
    request = application.bus.handle(
        RequestPromotion(
            message_id=str(uuid.uuid4()), source_dir=source_dir, source_environment=source_environment,
            requested_by=who.name, target_environment=target_environment,
            items=items, note=note, config_path=config_path, actor_object_id=who.object_id,
            change=change, emergency=emergency,
        )
    )  # fmt: skip
    from fabctl.application.rules_check import rules_of

    opened = _current(request.id)
    _show(opened, output, rules_of(application.reader, opened))


@promote.command()
@click.argument("request_id")
@click.option("--comment", default="", help="Kept in the audit trail.")
@USER_OPTION
@FABRIC_URL_OPTION
@OUTPUT_OPTION
def approve(request_id: str, comment: str, user: str | None, fabric_url: str | None, output: str) -> None:
    """Approve a request; the last approval needed deploys it to the target environment.

    The approval is refused (exit 2), naming each difference, if what would be deployed is no
    longer what was requested: the items, parameter.yml's values for the target environment or
    the target environment's configuration. Exit code 3 when the deployment failed.
    """
    from fabctl.domain.commands import ApprovePromotion
    from fabctl.domain.promotion import PromotionState
    from fabctl.entrypoints.cli.journaled import exit_if_interrupted, stoppable

    application = app(fabric_url=fabric_url)
    who = _who(user, application)
    with stoppable(application) as switch:  # Ctrl-C, SIGTERM: the deployment winds down as `deploy`'s does
        application.bus.handle(ApprovePromotion(str(uuid.uuid4()), request_id, who.name, comment, who.object_id))
    request = _current(request_id)
    _show(request, output)
    if switch.exit_code and request.transaction_id:
        exit_if_interrupted(switch, request.transaction_id, _transaction_state(application, request.transaction_id))
    if request.state in (PromotionState.FAILED, PromotionState.ROLLED_BACK):
        state = request.state.value.replace("_", " ")
        click.secho(f"error: promotion {state}: {request.reason}", fg="red", err=True)
        raise click.exceptions.Exit(exit_codes.DEPLOYMENT_FAILED)


@promote.command()
@click.argument("request_id")
@click.option("--reason", required=True, help="Why: kept in the audit trail.")
@USER_OPTION
@OUTPUT_OPTION
def reject(request_id: str, reason: str, user: str | None, output: str) -> None:
    """Reject a request; it can no longer be approved or deployed."""
    from fabctl.domain.commands import RejectPromotion

    application = app()
    who = _who(user, application)
    application.bus.handle(RejectPromotion(str(uuid.uuid4()), request_id, who.name, reason, who.object_id))
    _show(_current(request_id), output)


@promote.command()
@click.argument("request_id")
@USER_OPTION
@OUTPUT_OPTION
def cancel(request_id: str, user: str | None, output: str) -> None:
    """Withdraw a request that has not been deployed: only its requester or one of its approvers may."""
    from fabctl.domain.commands import CancelPromotion

    application = app()
    who = _who(user, application)
    application.bus.handle(CancelPromotion(str(uuid.uuid4()), request_id, who.name, who.object_id))
    _show(_current(request_id), output)


@promote.command()
@click.argument("request_id")
@OUTPUT_OPTION
def show(request_id: str, output: str) -> None:
    """Show a request with its approvals and its audit trail."""
    _show(_current(request_id), output)


@promote.command("list")
@OUTPUT_OPTION
def list_(output: str) -> None:
    """List promotion requests, oldest first."""
    from fabctl.application.queries import list_promotions
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    requests = list_promotions(app().uow)
    if output == "json":
        emit_json(to_jsonable(requests))
    else:
        render.promotions(requests)


def _transaction_state(application: App, transaction_id: str) -> str:
    """The state of the promotion's transaction; "not started" when it was stopped before its first write."""
    with application.uow:
        transaction = application.uow.transactions.get(transaction_id)
    return transaction.state.value if transaction is not None else "not started"
