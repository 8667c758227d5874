"""`fabctl rules check`: which promotion rules apply to each item, and whether they pass."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json


@click.group()
def rules() -> None:
    """Promotion rules: per item type, from fabctl's templates and workspace-config.yaml."""


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not an ISO time, e.g. 2026-12-04T17:30+01:00", param_hint="--at"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(f"'{text}' has no UTC offset; add one, e.g. +01:00 or Z", param_hint="--at")
    return at


@rules.command()
@click.argument("source_dir", type=click.Path(file_okay=False))
@click.option("--from", "source_environment", required=True, help="The environment the items are in.")
@click.option("--to", "target_environment", default="", help="The next environment (the default).")
@click.option("--item", "items", multiple=True, help="Only this item, as Name.Type (repeatable).")
@click.option("--change", default="", help="The change reference a request would carry.")
@click.option("--emergency", is_flag=True, help="Judge it as an emergency request.")
@click.option("--at", "at_text", default="", help="Judge at this ISO time with offset [default: now].")
@click.option(
    "--config", "config_path", default="", help="Workspace config [default: SOURCE_DIR/workspace-config.yaml]."
)
@OUTPUT_OPTION
def check(
    source_dir: str, source_environment: str, target_environment: str, items: tuple[str, ...], change: str,
    emergency: bool, at_text: str, config_path: str, output: str,
) -> None:  # fmt: skip
    """Evaluate the promotion rules for SOURCE_DIR's items without requesting a promotion.

    Shows, for each item, the rule that applies and where it came from (fabctl's template, then
    workspace-config.yaml's rules), and judges the change reference, the source environment, the
    freeze windows and the item count as `fabctl promote request` would. Exit code 0 when they
    pass, 2 naming each refusal.

    \b
    Examples:
      fabctl rules check sales --from test --to prod --change CHG1234567
      fabctl rules check sales --from test --at 2026-12-04T17:00:00+01:00 -o json
    """
    from fabctl.application.rules_check import check_rules
    from fabctl.entrypoints.cli.rules_render import rules, rules_json

    application = app()
    at = _instant(at_text) if at_text else application.clock.now().astimezone(UTC)
    judged = check_rules(
        application.reader, source_dir, source_environment, target_environment=target_environment,
        items=items, change=change, at=at, emergency=emergency, config_path=config_path,
    )  # fmt: skip
    if output == "json":
        emit_json({"at": at.isoformat(), **rules_json(judged)})
    else:
        rules(judged)
        if not judged.refusals:
            click.echo(f"passed at {at.isoformat()}")
    if judged.refusals:
        raise click.exceptions.Exit(exit_codes.USER_ERROR)
