"""`fabctl doctor`: is everything fabctl needs there, reachable and usable? Each check with its fix."""

from __future__ import annotations

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.runtime import FABRIC_URL_OPTION, OUTPUT_OPTION, emit_json

_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "skipped": ("\N{EN DASH}", "yellow")}


@click.command()
@click.argument("source_dir", required=False, default="", type=click.Path(file_okay=False))
@click.option(
    "--config", "config_path", default="", help="Workspace config [default: SOURCE_DIR/workspace-config.yaml]."
)
@click.option("--parameter", "parameter_path", default="", help="Parameter file [default: SOURCE_DIR/parameter.yml].")
@FABRIC_URL_OPTION
@OUTPUT_OPTION
def doctor(source_dir: str, config_path: str, parameter_path: str, fabric_url: str | None, output: str) -> None:
    """Check that fabctl can work here: settings and files, sign-in, Fabric, state store, Service Bus.

    Each check passes, fails (with one line saying what to do) or is skipped (not configured, or what it
    needs failed first). SOURCE_DIR defaults to the current directory.
    Exit code 0 when no check failed (skipped ones count as passed), 2 when one did.

    \b
    Examples:
      fabctl doctor my-sales
      fabctl doctor my-sales --fabric-url https://api.fabric.microsoft.com -o json
    """
    from fabctl.entrypoints.doctor.checks import ALL
    from fabctl.entrypoints.doctor.context import DoctorContext
    from fabctl.entrypoints.doctor.report import report
    from fabctl.entrypoints.doctor.run import run_checks

    context = DoctorContext.load(source_dir, config_path, parameter_path, fabric_url=fabric_url)
    results = run_checks(ALL, context)
    document = report(results)
    if output == "json":
        emit_json(document)
    else:
        for result in results:
            mark, colour = _MARKS[result.status.value]
            click.echo(f"{click.style(mark, fg=colour)} {result.name:<16} {result.detail}")
            if result.fix:
                click.echo(f"  {'':<16} fix: {result.fix}")
    if not document["ok"]:
        raise click.exceptions.Exit(exit_codes.USER_ERROR)
