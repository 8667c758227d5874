"""`fabctl state migrate`: move fabctl's state between the local SQLite file and Azure Storage."""

from __future__ import annotations

from typing import cast

import click

from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, emit_json

STORE_NAMES = {"sqlite": "the SQLite state file", "azure": "the Azure state store"}


@click.group(cls=WholeSummaryGroup)
def state() -> None:
    """Manage the state store: journals, deployment records, promotions, outbox, leases (docs/state.md)."""


@state.command()
@click.option(
    "--to",
    "to",
    type=click.Choice(["azure", "sqlite"]),
    required=True,
    help="azure: from the SQLite file in FABCTL_STATE_DIR into the Azure store FABCTL_STORAGE_* name; "
    "sqlite: from that Azure store into FABCTL_STATE_DIR/state.db.",
)
@OUTPUT_OPTION
def migrate(to: str, output: str) -> None:
    """Copy every journal, step, before-image, deployment record, promotion, outbox and inbox message
    and lease into the other store, then verify it: each kind's count and SHA-256 read back from the target.

    \b
    The target must be empty; the source is never changed. Run it while no deployment runs, then
    select the new store (FABCTL_STATE_STORE=azure or sqlite) for every runner:
      FABCTL_STORAGE_CONNECTION_STRING=... fabctl state migrate --to azure
      FABCTL_STORAGE_ACCOUNT_URL=https://myaccount.blob.core.windows.net fabctl state migrate --to azure
      fabctl state migrate --to sqlite -o json
    """
    from fabctl.adapters.state.migration import RecordStore
    from fabctl.adapters.state.migration import migrate as copy_state
    from fabctl.domain.errors import InvalidConfiguration
    from fabctl.entrypoints.bootstrap import state_store
    from fabctl.entrypoints.settings import SUBJECT, load_settings

    settings = load_settings()
    local = settings.state_dir / "state.db"
    if to == "azure" and not local.exists():
        raise InvalidConfiguration(
            f"there is no local state to migrate: {local} does not exist (set FABCTL_STATE_DIR to the folder "
            "that holds state.db)",
            subject=SUBJECT,
            field="state_dir",
        )
    source_kind = "sqlite" if to == "azure" else "azure"
    source = cast(RecordStore, state_store(settings, source_kind))  # both stores export and import records
    target = cast(RecordStore, state_store(settings, to))
    tallies = copy_state(source, target, source_name=STORE_NAMES[source_kind], target_name=STORE_NAMES[to])
    if output == "json":
        emit_json({"from": source_kind, "to": to, "verified": True, "kinds": [t.__dict__ for t in tallies]})
        return
    click.echo(f"copied {STORE_NAMES[source_kind]} into {STORE_NAMES[to]}; verified:")
    for t in tallies:
        click.echo(f"  {t.kind:<14} {t.count:>7}  sha256 {t.sha256[:16]}")
