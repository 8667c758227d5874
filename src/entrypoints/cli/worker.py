"""`fabctl worker`: take commands from the Service Bus queue until stopped (see fabctl.entrypoints.worker)."""

from __future__ import annotations

import logging
import sys

import click

from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, emit_json


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N",
              help="Sessions (workspaces) handled in parallel by this process.")  # fmt: skip
@click.option("--max-messages", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop once N messages were handled and settled (CI jobs, tests).")  # fmt: skip
@click.option("--idle-exit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop once no message came for SECONDS (a KEDA job that drains the queue).")  # fmt: skip
@click.option("--sweep-every", type=click.FloatRange(min=0), default=60.0, show_default=True, metavar="SECONDS",
              help="Relay the outbox and recover stranded transactions this often; 0: never.")  # fmt: skip
@OUTPUT_OPTION
def worker(
    concurrency: int, max_messages: int | None, idle_exit: float | None, sweep_every: float, output: str
) -> None:
    """Handle command messages from the Service Bus queue (FABCTL_COMMANDS_QUEUE) until stopped.

    Each message is carried out once (its id is recorded with its effect) and settled: completed;
    dead-lettered at once with a reason when it can never succeed (not JSON, an unknown command, a
    field at fault); abandoned for redelivery when the failure may pass. SIGTERM or Ctrl-C stops
    taking messages, winds down the one in hand and exits 0.

    \b
    Needs Service Bus: FABCTL_SERVICEBUS_NAMESPACE (signing in with azure-identity) or
    FABCTL_SERVICEBUS_CONNECTION_STRING, whatever FABCTL_EVENT_BUS says.
    """
    from fabctl.entrypoints.bootstrap import bootstrap
    from fabctl.entrypoints.settings import check_service_bus, load_settings
    from fabctl.entrypoints.worker.run import WorkerOptions, run_worker

    settings = load_settings()
    check_service_bus(settings)
    _log_to_stderr()
    options = WorkerOptions(concurrency, max_messages, idle_exit, sweep_every or None)
    control = run_worker(settings, options, lambda: bootstrap(settings))
    summary = {"stopped": control.reason, "handled": control.handled, "settled": dict(control.settled)}
    if output == "json":
        emit_json(summary)
    settled = ", ".join(f"{n} {verdict}" for verdict, n in sorted(control.settled.items())) or "none"
    click.echo(f"fabctl worker: stopped ({control.reason}); {control.handled} messages handled: {settled}", err=True)


def _log_to_stderr() -> None:
    # One line per message settled, and the reason of each refusal: what an operator reads in the
    # container's log. fabctl's own records only; the SDK's stay off (see main.py).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    fabctl = logging.getLogger("fabctl")
    fabctl.addHandler(handler)
    fabctl.setLevel(logging.INFO)
