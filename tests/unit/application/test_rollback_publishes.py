"""A rollback undoes an Environment's publish by publishing again once its definition is restored, and a
deleted Environment it re-creates is published as it was (ADR 0025). Over the local Fabric (a real tenant in
memory) and the in-memory state store."""

from __future__ import annotations

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.application.deployment.rollback import roll_back
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.transaction import ItemImage, StepAction, StepOutcome, Transaction

FIRST = ItemDefinition.of([DefinitionPart.from_text("Setting/Sparkcompute.yml", "driver_cores: 4\n")])
SECOND = ItemDefinition.of([DefinitionPart.from_text("Setting/Sparkcompute.yml", "driver_cores: 8\n")])
KEY = "Environment:Spark"


def _world() -> tuple[FabricTenant, LocalFabricGateway, InMemoryUnitOfWork, FixedClock, str]:
    tenant = FabricTenant.in_memory()
    clock = FixedClock()
    workspace = tenant.create_workspace("Rollback")
    return tenant, LocalFabricGateway(tenant), InMemoryUnitOfWork(clock, SequentialIdGenerator()), clock, workspace.id


def _done(tx: Transaction, action: StepAction, item_id: str, before: ItemImage | None) -> None:
    tx.record_success(tx.record_intent(action, KEY, item_id, before).number, item_id)


def test_a_rolled_back_update_and_publish_leave_the_first_version_published() -> None:
    tenant, gateway, uow, clock, ws = _world()
    spark = gateway.create_item(ws, "Environment", "Spark", definition=FIRST)
    gateway.publish_environment(ws, spark.id)
    tx = Transaction.start("tx-1", ws, "dev", clock.now())
    # What a deploy of the second version did: its definition written, then published.
    before = ItemImage(spark.id, "Environment", "Spark", "", "", FIRST)
    gateway.update_definition(ws, spark.id, SECOND)
    _done(tx, StepAction.UPDATE, spark.id, before)
    gateway.publish_environment(ws, spark.id)
    _done(tx, StepAction.PUBLISH, spark.id, None)
    tx.fail("a later item failed", clock.now())

    roll_back(tx, gateway, uow, clock)

    assert all(s.outcome is StepOutcome.UNDONE for s in tx.steps)
    assert tenant.get_definition(ws, spark.id).without_platform() == FIRST
    details = tenant.publish_details(ws, spark.id)
    assert (details.state, details.staged_changed) == ("Success", False)


def test_a_deleted_environment_is_re_created_published() -> None:
    tenant, gateway, uow, clock, ws = _world()
    spark = gateway.create_item(ws, "Environment", "Spark", definition=FIRST)
    gateway.publish_environment(ws, spark.id)
    tx = Transaction.start("tx-2", ws, "dev", clock.now())
    before = ItemImage(spark.id, "Environment", "Spark", "", "", tenant.get_definition(ws, spark.id))
    gateway.delete_item(ws, spark.id)
    _done(tx, StepAction.DELETE, spark.id, before)
    tx.fail("a later item failed", clock.now())

    roll_back(tx, gateway, uow, clock)

    [again] = tenant.list_items(ws, "Environment")
    assert tenant.get_definition(ws, again.id).without_platform() == FIRST
    details = tenant.publish_details(ws, again.id)
    assert (details.state, details.staged_changed) == ("Success", False)
