"""`fabctl events`: what was published."""

from __future__ import annotations

import click

from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json


@click.command()
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="How many of the most recent events (at least 1).",
)
@OUTPUT_OPTION
def events(limit: int, output: str) -> None:
    """List the events fabctl published (promotion requested, approved, item deployed, ...).

    Events are written to the outbox in the same commit as the state change they describe,
    then published to the configured bus; this lists them with when they were published.
    """
    from fabctl.application.queries import list_events
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = list_events(app().uow, limit)
    if output == "json":
        emit_json(to_jsonable(found))
    else:
        render.event_list(found)
