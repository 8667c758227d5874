"""`fabctl events`: what was published (`list`, the default), and `relay`: publish what is still pending."""

from __future__ import annotations

import click

from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json

LIMIT_OPTION = click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="How many of the most recent events (at least 1).",
)


@click.group(cls=WholeSummaryGroup, invoke_without_command=True)
@LIMIT_OPTION
@OUTPUT_OPTION
@click.pass_context
def events(ctx: click.Context, limit: int, output: str) -> None:
    """List the events fabctl published (promotion requested, approved, item deployed, ...).

    Events are written to the outbox in the same commit as the state change they describe,
    then published to the configured bus; `fabctl events` (or `fabctl events list`) lists them
    with when they were published, and `fabctl events relay` publishes those still pending.
    """
    if ctx.invoked_subcommand is None:
        _list(limit, output)


@events.command("list")
@LIMIT_OPTION
@OUTPUT_OPTION
def list_events(limit: int, output: str) -> None:
    """List the events fabctl published, the most recent last (the same as `fabctl events`)."""
    _list(limit, output)


@events.command()
@OUTPUT_OPTION
def relay(output: str) -> None:
    """Publish the events still pending in the outbox to the configured event bus, in order.

    For CI that publishes after it deploys, or after the bus was away: every command already
    publishes its own events when it ends, and leaves them pending when the bus cannot take them.
    The event bus is FABCTL_EVENT_BUS (memory, or servicebus with FABCTL_SERVICEBUS_NAMESPACE or
    FABCTL_SERVICEBUS_CONNECTION_STRING, to the topic FABCTL_EVENTS_TOPIC).

    Exit code 1 when the bus refuses or cannot be reached: the events it did not accept stay
    pending for the next relay, in their order.

    \b
    Examples:
      fabctl events relay
      FABCTL_EVENT_BUS=servicebus FABCTL_SERVICEBUS_NAMESPACE=contoso fabctl events relay -o json
    """
    from fabctl.application.errors import EventsNotPublished
    from fabctl.entrypoints.cli import exit_codes
    from fabctl.entrypoints.cli.runtime import fail

    application = app()
    try:
        relayed = application.bus.relay_outbox(raise_errors=True)
    except EventsNotPublished as e:
        reason = EventsNotPublished(f"{e.message} ({e.published} relayed before it; the rest stay pending)")
        fail(reason, exit_codes.INTERNAL_ERROR, kind="EventsNotPublished")
    with application.uow:
        pending = len(application.uow.outbox.pending())
    bus = _bus_name(application.settings.event_bus, application.settings.events_topic)
    if output == "json":
        emit_json({"relayed": relayed, "pending": pending, "event_bus": application.settings.event_bus})
    else:
        click.echo(f"Relayed {relayed} event(s) to {bus}; {pending} pending.")


def _bus_name(kind: str, topic: str) -> str:
    return f"Service Bus topic '{topic}'" if kind == "servicebus" else "the in-memory event bus"


def _list(limit: int, output: str) -> None:
    from fabctl.application.queries import list_events
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = list_events(app().uow, limit)
    if output == "json":
        emit_json(to_jsonable(found))
    else:
        render.event_list(found)
