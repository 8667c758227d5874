"""`fabctl notify`: the notifications given up on (`list`, the default) and `retry`: send them again."""

from __future__ import annotations

from typing import Any

import click

from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json


@click.group(cls=WholeSummaryGroup, invoke_without_command=True)
@OUTPUT_OPTION
@click.pass_context
def notify(ctx: click.Context, output: str) -> None:
    """List the notifications (Teams, webhooks) that were not delivered after their retries.

    Subscribers are declared in the file FABCTL_NOTIFICATIONS_FILE names (docs/notifications.md). A
    notification that still failed after its last attempt is kept as a dead letter in the state folder;
    `fabctl notify retry` sends them again. A failed notification never fails the command or holds an
    event back from the event bus.
    """
    if ctx.invoked_subcommand is None:
        _list(output)


@notify.command("list")
@OUTPUT_OPTION
def list_letters(output: str) -> None:
    """List the dead letters, the oldest first (the same as `fabctl notify`)."""
    _list(output)


@notify.command()
@click.argument("letter_ids", nargs=-1, metavar="[ID]...")
@OUTPUT_OPTION
def retry(letter_ids: tuple[str, ...], output: str) -> None:
    """Send the dead letters again: all of them, or those whose IDs are given.

    Those delivered are no longer kept. Exit code 1 when one still fails (it is kept, with its new
    reason); 2 when an ID is not a dead letter or no notifications file is set.

    \b
    Examples:
      fabctl notify retry
      fabctl notify retry 7f0c...e1.release-channel -o json
    """
    from fabctl.domain.errors import InvalidConfiguration
    from fabctl.entrypoints.cli import exit_codes
    from fabctl.entrypoints.cli.runtime import fail

    application = app()
    if application.notifier is None:
        raise InvalidConfiguration(
            "no notifications file is set: set FABCTL_NOTIFICATIONS_FILE (or 'notifications_file' in fabctl.toml)",
            subject="fabctl settings",
            field="notifications_file",
        )
    outcome = application.notifier.retry(letter_ids)
    if outcome.unknown:
        raise InvalidConfiguration(
            f"not a dead letter: {', '.join(outcome.unknown)} (see `fabctl notify list`)", subject="ID"
        )
    if output == "json":
        emit_json({"delivered": list(outcome.delivered), "failed": list(outcome.failed)})
    else:
        click.echo(f"Delivered {len(outcome.delivered)} notification(s); {len(outcome.failed)} still failing.")
    if outcome.failed:
        fail(RuntimeError(f"{len(outcome.failed)} notification(s) still not delivered"), exit_codes.INTERNAL_ERROR)


def _list(output: str) -> None:
    from fabctl.entrypoints.notifications import dead_letters_of

    letters = dead_letters_of(app().settings).list()
    if output == "json":
        emit_json([_jsonable(letter) for letter in letters])
        return
    if not letters:
        click.echo("No undelivered notifications.")
    for letter in letters:
        when = letter.failed_at.isoformat(timespec="seconds")
        click.echo(f"{letter.id}  {letter.message.type} -> {letter.subscription}  {when}  "
                   f"{letter.reason} after {letter.attempts} attempt(s)")  # fmt: skip


def _jsonable(letter: Any) -> dict[str, Any]:
    return {
        "id": letter.id,
        "subscription": letter.subscription,
        "event": letter.message.type,
        "event_id": letter.message.id,
        "reason": letter.reason,
        "attempts": letter.attempts,
        "failed_at": letter.failed_at.isoformat(),
    }
