"""`fabctl audit`: prove promotions' audit trails (`verify`) and export their entries (`export`)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime

import click

from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json

EXPORT_FIELDS = ("request_id", "number", "at", "actor", "object_id", "action", "detail", "previous", "state", "hash")


@click.group(cls=WholeSummaryGroup)
def audit() -> None:
    """Prove and export the promotion audit trail.

    Every promotion request keeps an append-only trail (requested, approved, deploying, ...).
    Each entry holds the hash of the entry before it and a digest of the request as that entry
    left it, so an entry edited, removed or reordered in the state store, or a request changed
    behind fabctl's back (an approval added, required approvals lowered, a pin re-pointed), is
    found and named. Each promotion event carries the trail's newest hash (`audit_head`): keep
    it to prove later that the trail was not rewritten. See docs/audit.md.
    """


@audit.command()
@click.argument("request_ids", nargs=-1, metavar="[REQUEST_ID]...")
@click.option(
    "--head",
    default="",
    metavar="HASH",
    help="A hash published earlier (an event's audit_head) that the trail must hold; needs one REQUEST_ID.",
)
@OUTPUT_OPTION
def verify(request_ids: tuple[str, ...], head: str, output: str) -> None:
    """Re-compute the hash chain of each request's trail (every request when none is named).

    Exit code 0 when every trail holds, 2 when one does not: the message names the request and
    the first entry that does not hold, or says the request changed after its newest entry.

    \b
    Examples:
      fabctl audit verify
      fabctl audit verify 3f2c1d0e --head 9b1e...   # the audit_head of an event you kept
      fabctl audit verify -o json
    """
    from fabctl.application.audit import verify_trails
    from fabctl.entrypoints.cli import exit_codes

    if head and len(request_ids) != 1:
        raise click.UsageError("--head proves one trail: name exactly one REQUEST_ID with it")
    checks = verify_trails(app().uow, request_ids, head=head)
    if output == "json":
        emit_json({
            "holds": all(c.holds for c in checks),
            "requests": [
                {"request_id": c.request_id, "entries": c.entries, "head": c.head, "holds": c.holds,
                 "problem": c.problem or None}
                for c in checks
            ],
        })  # fmt: skip
    else:
        for c in checks:
            mark = "ok      " if c.holds else "TAMPERED"
            click.echo(f"{mark}  {c.request_id}  {c.entries} entries  head {c.head[:16] or '-'}")
            if c.problem:
                click.echo(f"          {c.problem}")
        broken = sum(not c.holds for c in checks)
        click.echo(f"{len(checks)} trail(s) checked, {broken} that do(es) not hold.")
    if not all(c.holds for c in checks):
        sys.exit(exit_codes.USER_ERROR)


@audit.command()
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--since",
    default=None,
    metavar="TIME",
    help="Only entries at or after this ISO 8601 time (2026-12-01, 2026-12-01T08:00:00Z); UTC when no offset.",
)
def export(file_format: str, since: str | None) -> None:
    """Print every audit entry of every promotion request, with its hashes, to standard output.

    One JSON object per line (jsonl) or CSV with a header row; fields: request_id, number (in
    the request's trail, from 1), at (UTC), actor, object_id (a signed-in actor's; empty for a
    name typed on the local default), action, detail, previous, state, hash.

    \b
    Examples:
      fabctl audit export > audit.jsonl
      fabctl audit export --format csv --since 2026-12-01 > december.csv
    """
    from fabctl.application.audit import audit_entries

    rows = [
        {
            "request_id": e.request_id, "number": e.number, "at": e.entry.at.astimezone(UTC).isoformat(),
            "actor": e.entry.actor, "object_id": e.entry.object_id, "action": e.entry.action, "detail": e.entry.detail,
            "previous": e.entry.previous, "state": e.entry.state, "hash": e.entry.hash,
        }
        for e in audit_entries(app().uow, since=_moment(since))
    ]  # fmt: skip
    if file_format == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 date or time, e.g. 2026-12-01 or 2026-12-01T08:00:00Z", param_hint="--since"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
