"""`fabctl tx revert`: a committed deployment undone by a new transaction, refused over later changes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli import run, run_json
from emulator_process import running_emulator, snapshot

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.application.handlers.revert import revert_transaction
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import IllegalTransition
from fabctl.domain.transaction import Transaction
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.settings import Settings

LOAD = "Notebooks/Load Sales.Notebook/notebook-content.py"


def local_snapshot(cwd: Path) -> dict[str, Any]:
    with FabricTenant.at(cwd / ".fabctl" / "local-fabric.db") as tenant:
        found: dict[str, Any] = tenant.snapshot(ids=False)
    return found


def change_source(source: Path) -> None:
    """An edit, a metadata change with a move, a new item and a removed one."""
    with (source / LOAD).open("a", encoding="utf-8") as out:
        out.write("\n# second version\n")
    transform = source / "Notebooks" / "Transform Sales.Notebook"
    platform = json.loads((transform / ".platform").read_text(encoding="utf-8"))
    platform["metadata"]["description"] = "Builds the curated sales table, v2"
    (transform / ".platform").write_text(json.dumps(platform), encoding="utf-8")
    shutil.move(transform, source / "Orchestration" / "Transform Sales.Notebook")
    extra = source / "Extra.Notebook"
    shutil.copytree(source / "Notebooks" / "Load Sales.Notebook", extra)
    platform = json.loads((extra / ".platform").read_text(encoding="utf-8"))
    platform["metadata"]["displayName"] = "Extra"
    platform["config"]["logicalId"] = "0d1c9f4e-2b7a-4c55-9a33-7e1f0b8d2c61"
    (extra / ".platform").write_text(json.dumps(platform), encoding="utf-8")
    shutil.rmtree(source / "Orchestration" / "Daily Sales.DataPipeline")


def test_revert_restores_what_the_reverted_deployment_replaced(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    before = local_snapshot(cwd)
    change_source(workspace)
    second = run_json(cwd, "deploy", "sales-workspace", "--env", "dev", "--delete-orphans")
    assert second["state"] == "committed", second
    assert local_snapshot(cwd) != before

    reverted = run_json(cwd, "tx", "revert", second["transaction_id"])

    assert reverted["state"] == "committed", reverted
    assert reverted["reverted"] == second["transaction_id"]
    assert {(o["item"], o["action"]) for o in reverted["outcomes"]} == {
        ("Daily Sales.DataPipeline", "create"),
        ("Extra.Notebook", "delete"),
        ("Transform Sales.Notebook", "move"),
        ("Transform Sales.Notebook", "update"),
        ("Load Sales.Notebook", "update"),
    }
    assert local_snapshot(cwd) == before
    plan = run_json(cwd, "plan", "sales-workspace", "--env", "dev")
    changes = {c["key"]: (c["kind"], c["reason"]) for c in plan["changes"] if c["kind"] != "no-op"}
    assert changes == {
        "Load Sales.Notebook": ("update", "definition differs: notebook-content.py"),
        "Transform Sales.Notebook": (
            "update",
            "description differs; folder differs: 'Notebooks' -> 'Orchestration'",
        ),
        "Extra.Notebook": ("create", "not in the workspace"),
    }
    events = run_json(cwd, "events", "--limit", "1000")
    committed = [e["payload"]["transaction_id"] for e in events if e["type"] == "TransactionCommitted"]
    assert reverted["transaction_id"] in committed
    shown = run_json(cwd, "tx", "show", reverted["transaction_id"])
    assert shown["state"] == "committed" and len(shown["steps"]) == 5
    assert all(s["outcome"] == "succeeded" for s in shown["steps"])


def test_reverting_a_first_deployment_deletes_what_it_created_value_set_and_all(workspace: Path) -> None:
    # The example's first deployment creates a Variable Library and activates its value set: the
    # activation goes with the library, as in a rollback, instead of a PATCH to a library deleted before it.
    cwd = workspace.parent
    first = run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    journal = run_json(cwd, "tx", "show", first["transaction_id"])
    assert "activate_value_set" in [s["action"] for s in journal["steps"]], journal

    result = run(cwd, "tx", "revert", first["transaction_id"], "-o", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    reverted = json.loads(result.stdout)
    assert reverted["state"] == "committed", reverted
    # Only deletes: an item the reverted deployment created is not first updated, moved or re-pointed.
    undone = run_json(cwd, "tx", "show", reverted["transaction_id"])
    assert {s["action"] for s in undone["steps"]} == {"delete"}, undone
    held = [i for w in local_snapshot(cwd)["workspaces"] for i in w["items"]]
    assert held == []


def test_revert_is_refused_after_a_change_by_hand_unless_forced(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    before = local_snapshot(cwd)
    (workspace / LOAD).write_text("# second version\n", encoding="utf-8")
    second = run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    with FabricTenant.at(cwd / ".fabctl" / "local-fabric.db") as tenant:
        gateway = LocalFabricGateway(tenant)
        ws = gateway.find_workspace("Sales (dev)")
        assert ws is not None
        notebook = next(i for i in gateway.list_items(ws.id) if i.name == "Load Sales")
        by_hand = ItemDefinition((DefinitionPart.from_text("notebook-content.py", "# edited in the portal\n"),))
        gateway.update_definition(ws.id, notebook.id, by_hand)
    edited = local_snapshot(cwd)

    refused = run(cwd, "tx", "revert", second["transaction_id"])

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Load Sales.Notebook changed in the workspace since" in refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert local_snapshot(cwd) == edited  # nothing written

    forced = run_json(cwd, "tx", "revert", second["transaction_id"], "--force")

    assert forced["state"] == "committed", forced
    assert forced["overridden"] == ["Load Sales.Notebook changed in the workspace since"]
    assert local_snapshot(cwd) == before


def test_reverting_twice_is_refused_naming_the_revert(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    (workspace / LOAD).write_text("# second version\n", encoding="utf-8")
    second = run_json(cwd, "deploy", "sales-workspace", "--env", "dev")
    first_revert = run_json(cwd, "tx", "revert", second["transaction_id"])

    again = run(cwd, "tx", "revert", second["transaction_id"], "-o", "json")

    assert again.returncode == 2, again.stdout + again.stderr
    error = json.loads(again.stdout)["error"]
    assert f"changed since by transaction {first_revert['transaction_id']}" in error["message"]


def test_a_transaction_that_did_not_commit_is_not_reverted() -> None:
    app = bootstrap(Settings(state_store="memory", fabric="memory"))
    unfinished = Transaction.start("tx-1", "ws-1", "dev", datetime(2026, 11, 23, tzinfo=UTC))
    with app.uow:
        app.uow.transactions.add(unfinished)
        app.uow.commit()

    with pytest.raises(IllegalTransition, match="is started: only a committed transaction can be reverted"):
        revert_transaction("tx-1", uow=app.uow, gateway=app.gateway, clock=app.clock, ids=app.ids)


def test_reverting_an_unknown_transaction_names_it(tmp_path: Path) -> None:
    result = run(tmp_path, "tx", "revert", "no-such-id")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "no-such-id" in result.stderr and "no such transaction" in result.stderr


def test_revert_reaches_the_fabric_the_transaction_wrote_to(workspace: Path) -> None:
    """Deployed over HTTP to the emulator; `tx revert` without --fabric-url goes back there."""
    cwd = workspace.parent
    served_from = cwd / "emulator"
    served_from.mkdir()
    with running_emulator("--lro-share", "0", "--sql-endpoint-ms", "0", tmp_path=served_from) as emulator:
        run_json(cwd, "deploy", "sales-workspace", "--env", "dev", "--fabric-url", emulator.url)
        before = snapshot(emulator, ids=False)
        change_source(workspace)
        second = run_json(cwd, "deploy", "sales-workspace", "--env", "dev", "--fabric-url", emulator.url)
        assert second["state"] == "committed", second

        reverted = run_json(cwd, "tx", "revert", second["transaction_id"])

        assert reverted["state"] == "committed", reverted
        assert snapshot(emulator, ids=False) == before
    local = cwd / ".fabctl" / "local-fabric.db"
    assert not local.exists() or local_snapshot(cwd)["workspaces"] == []  # nothing went to the local Fabric
