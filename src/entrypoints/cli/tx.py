"""`fabctl tx list|show`: the deployment journal."""

from __future__ import annotations

import click

from fabctl.entrypoints.cli.runtime import OUTPUT_OPTION, app, emit_json


@click.group()
def tx() -> None:
    """Inspect deployment transactions: every write, what it replaced, how it ended."""


@tx.command("list")
@click.option("--workspace-id", default=None, help="Only transactions on this workspace.")
@OUTPUT_OPTION
def list_(workspace_id: str | None, output: str) -> None:
    """List transactions, oldest first."""
    from fabctl.application.queries import list_transactions
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = list_transactions(app().uow, workspace_id)
    if output == "json":
        emit_json([{k: v for k, v in to_jsonable(t).items() if k != "steps"} | {"steps": len(t.steps)} for t in found])
    else:
        render.transactions(found)


@tx.command()
@click.argument("transaction_id")
@OUTPUT_OPTION
def show(transaction_id: str, output: str) -> None:
    """Show a transaction's journal, step by step."""
    from fabctl.application.queries import get_transaction
    from fabctl.entrypoints.cli import render
    from fabctl.entrypoints.cli.jsonable import to_jsonable

    found = get_transaction(app().uow, transaction_id)
    if output == "json":
        emit_json(to_jsonable(found))
    else:
        render.transaction(found)
