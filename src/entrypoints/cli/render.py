"""Human-readable output. Rich is imported here only, and only when text output is asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fabctl.application.deployment.results import DeploymentResult
    from fabctl.application.ports import OutboxMessage
    from fabctl.domain.plan import DeploymentPlan
    from fabctl.domain.promotion import PromotionRequest
    from fabctl.domain.transaction import Transaction

_STYLE = {
    "create": "green", "update": "yellow", "delete": "red", "no-op": "dim",
    "done": "green", "failed": "red", "skipped": "yellow", "unchanged": "dim", "undone": "magenta", "passed": "green",
    "committed": "green", "rolled_back": "magenta", "started": "yellow",
    "succeeded": "green", "rejected": "red", "requested": "yellow", "approved": "cyan",
}  # fmt: skip


def _console() -> Any:
    import sys

    from rich.console import Console

    # On a terminal rich fits the window; in CI logs, lines must not be cut at 80 columns.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 240)


def _table(*columns: str) -> Any:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def _styled(value: str, state: str = "") -> str:
    """`value` in the colour of `state` (by default, of itself)."""
    style = _STYLE.get(state or value)
    return f"[{style}]{value}[/{style}]" if style else value


def warnings(plan: DeploymentPlan) -> None:
    """What the user allowed although it is likely wrong, one `warning:` line each on stderr."""
    import click

    for warning in plan.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


def plan(plan: DeploymentPlan) -> None:
    warnings(plan)
    console = _console()
    where = f"workspace '{plan.workspace_name}'" + ("" if plan.workspace_exists else " (will be created)")
    console.print(f"Plan for environment [bold]{plan.environment}[/bold], {where}")
    if plan.features:
        console.print(f"  features: {features(plan.features)}", soft_wrap=True)
    for connection in plan.connections:  # tenant-wide, written before the items (docs/connections.md)
        kind = connection.kind.value
        console.print(f"  {_styled(kind)} connection {connection.name}: {connection.reason}", soft_wrap=True)
    for folder in plan.folders_to_create:
        console.print(f"  [green]create folder[/green] {folder}")
    table = _table("change", "item", "reason")
    for change in plan.changes:
        drift = " [magenta](drifted in the workspace)[/magenta]" if getattr(change, "drift", False) else ""
        table.add_row(_styled(change.kind.value), str(change.key), change.reason + drift)
    console.print(table)
    console.print(f"{plan.summary()}.")


def features(flags: Mapping[str, bool | None]) -> str:
    """'rollback_on_failure on, delete_orphans off, ...': the feature flags in force, in their declared order
    (a store may keep them sorted)."""
    from fabctl.domain.feature_flags import FLAG_NAMES

    ordered = sorted(flags, key=lambda name: FLAG_NAMES.index(name) if name in FLAG_NAMES else len(FLAG_NAMES))
    return ", ".join(f"{name} {'on' if flags[name] else 'off'}" for name in ordered)


def deployment(result: DeploymentResult) -> None:
    warnings(result.plan)
    console = _console()
    console.print(_deployment_header(result))
    table = _table("action", "item", "result", "id / detail")
    for outcome in result.outcomes:
        table.add_row(_styled(outcome.action), outcome.item, _styled(outcome.status), outcome.detail or outcome.item_id)
    console.print(table)
    counts = result.plan.counts()
    console.print(
        f"Transaction {result.transaction_id} {_styled(result.state)}: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
    )
    if result.error:
        console.print(f"[red]first error:[/red] {result.error}")


def _deployment_header(result: DeploymentResult) -> str:
    """Where the deployment went and how it ended: only a committed one says "Deployed"."""
    where = (
        f"environment [bold]{result.environment}[/bold], workspace '{result.workspace_name}' ({result.workspace_id})"
    )
    if result.succeeded:
        return f"Deployed to {where}"
    endings = {"rolled_back": "failed and was rolled back", "failed": "failed"}
    ending = endings.get(result.state, f"did not complete ({result.state})")
    return f"Deployment to {where} {_styled(ending, result.state)}"


def promotion(request: PromotionRequest) -> None:
    console = _console()
    console.print(f"Promotion request [bold]{request.id}[/bold]: {_styled(request.state.value)}")
    console.print(f"  {request.source_environment} -> {request.target_environment}, from {request.source_dir}")
    requester = _who(str(request.requested_by), request.requester_object_id)
    console.print(f"  requested by {requester}" + (f": {request.note}" if request.note else ""))
    approvers = ", ".join(_who(str(a.approver), a.object_id) for a in request.approvals) or "none yet"
    console.print(f"  approvals {len(request.approvals)}/{request.required_approvals} ({approvers})")
    if request.transaction_id:
        console.print(f"  transaction {request.transaction_id}")
    if request.reason:
        console.print(f"  reason: {request.reason}")
    console.print("  items: " + ", ".join(i.key for i in request.items))
    table = _table("at", "actor", "action", "detail")
    for entry in request.audit:
        actor = entry.actor if entry.actor == "fabctl" else _who(entry.actor, entry.object_id)
        table.add_row(entry.at.isoformat(timespec="seconds"), actor, entry.action, entry.detail)
    console.print("Audit trail:")
    console.print(table)


def promotions(requests: list[PromotionRequest]) -> None:
    table = _table("id", "state", "from", "to", "requested by", "approvals", "items")
    for r in requests:
        table.add_row(
            r.id, _styled(r.state.value), r.source_environment, r.target_environment, str(r.requested_by),
            f"{len(r.approvals)}/{r.required_approvals}", str(len(r.items)),
        )  # fmt: skip
    _console().print(table if requests else "No promotion requests.")


def transactions(txs: list[Transaction]) -> None:
    table = _table("id", "state", "environment", "workspace", "started", "by", "steps")
    for t in txs:
        table.add_row(
            t.id, _styled(t.state.value), t.environment, t.workspace_id,
            t.started_at.isoformat(timespec="seconds"), t.actor, str(len(t.steps)),
        )  # fmt: skip
    _console().print(table if txs else "No transactions.")


def transaction(t: Transaction) -> None:
    console = _console()
    console.print(f"Transaction [bold]{t.id}[/bold]: {_styled(t.state.value)}")
    console.print(f"  environment {t.environment}, workspace {t.workspace_id}, source {t.source_dir}")
    when = f"  started {t.started_at.isoformat(timespec='seconds')}"
    when += f", ended {t.ended_at.isoformat(timespec='seconds')}" if t.ended_at else ""
    when += f", by {_who(t.actor, t.actor_object_id)}" if t.actor else ""
    verified = "verified" if t.recovered_by_object_id else "unverified"
    when += f", recovered by {t.recovered_by} ({verified})" if t.recovered_by else ""
    console.print(when)
    if t.reason:
        console.print(f"  reason: {t.reason}")
    if t.features:
        console.print(f"  features: {features(t.features)}", soft_wrap=True)
    for warning in t.warnings:
        console.print(f"  warning: {warning}", soft_wrap=True, markup=False)
    table = _table("#", "action", "item", "outcome", "item id", "before", "error")
    for s in t.steps:
        before = f"{len(s.before.definition.parts)} parts" if s.before else ""
        if s.shortcut is not None:  # which shortcut, and whether there was one before
            before = f"shortcut {s.shortcut.address}: " + ("absent" if s.shortcut.before is None else "existed")
        if s.value_set is not None:  # which value set was active, and which one the step activates
            before = f"value set '{s.value_set.before}' -> '{s.value_set.after}'"
        table.add_row(str(s.number), s.action.value, s.item, _styled(s.outcome.value), s.item_id or "", before, s.error)
    console.print(table)
    for r in t.smoke_tests:  # checked after the writes, before the transaction ended (docs/smoke-tests.md)
        instance = f" (job instance {r.job_instance_id})" if r.job_instance_id else ""
        verdict = _styled("passed" if r.passed else "failed")
        console.print(f"  smoke test {r.check} {r.item}: {verdict}{instance}, {r.detail}")


def _who(name: str, object_id: str) -> str:
    """A name as recorded: a signed-in principal's with its object id (verified), a typed one marked."""
    return f"{name} (verified, object id {object_id})" if object_id else f"{name} (unverified)"


def event_list(messages: list[OutboxMessage]) -> None:
    table = _table("at", "event", "published", "details")
    for m in messages:
        details = ", ".join(f"{k}={v}" for k, v in m.payload.items() if not isinstance(v, list | tuple))
        published = m.published_at.isoformat(timespec="seconds") if m.published_at else "pending"
        published = "withheld (publish_events off)" if m.withheld else published
        table.add_row(m.created_at.isoformat(timespec="seconds"), m.type, published, details)
    _console().print(table if messages else "No events yet.")


def diffs(found: dict[str, dict[str, str]]) -> None:
    """Unified diffs per item and part: added lines green, removed red, hunk headers cyan."""
    from rich.text import Text

    console = _console()
    if not found:
        console.print("No definition differs.")
        return
    for item, parts in found.items():
        for path, diff in parts.items():
            console.print(Text(f"{item}: {path}", style="bold"))
            text = Text()
            for line in diff.splitlines(keepends=True):
                text.append(line, style=_diff_style(line))
            console.print(text, end="" if diff.endswith("\n") else "\n", soft_wrap=True)


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    if line.startswith("@@"):
        return "cyan"
    return ""
