"""FabricTenant's environment publishing, on a clock that moves only when told to: Running until the publish's
duration has passed, then Success or Failed; what is published; and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.domain.definition import DefinitionPart

SETTINGS = [DefinitionPart.from_text("Setting/Sparkcompute.yml", "driver_cores: 4\n")]
CHANGED = [DefinitionPart.from_text("Setting/Sparkcompute.yml", "driver_cores: 8\n")]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tenant(clock: Clock) -> Iterator[FabricTenant]:
    with FabricTenant.in_memory(clock=clock) as opened:
        yield opened


def _environment(tenant: FabricTenant) -> tuple[str, str]:
    workspace = tenant.create_workspace("Spark")
    return workspace.id, tenant.create_item(workspace.id, "Environment", "Env", definition=SETTINGS).id


def test_a_new_environment_has_its_empty_version_published_and_its_definition_staged(tenant: FabricTenant) -> None:
    ws, env = _environment(tenant)

    details = tenant.publish_details(ws, env)

    assert (details.state, details.staged_changed) == ("Success", True)


def test_a_publish_runs_for_its_duration_then_succeeds_and_publishes_what_was_staged(
    tenant: FabricTenant, clock: Clock
) -> None:
    ws, env = _environment(tenant)

    started = tenant.publish_environment(ws, env, duration_s=30)
    clock.advance(29)
    still = tenant.publish_details(ws, env)
    with pytest.raises(TenantError) as refused:
        tenant.publish_environment(ws, env)
    clock.advance(1)
    ended = tenant.publish_details(ws, env)

    assert (started.state, still.state) == ("Running", "Running")
    assert still.staged_changed  # nothing is published before the end
    assert (refused.value.status, refused.value.error_code) == (409, "EnvironmentPublishInProgress")
    assert (ended.state, ended.staged_changed) == ("Success", False)
    assert ended.start_time == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert ended.end_time == datetime(2026, 3, 1, 9, 0, 30, tzinfo=UTC)
    assert "endTime" in ended.to_fabric() and "endTime" not in still.to_fabric()


def test_a_failed_publish_keeps_what_was_published_before(tenant: FabricTenant, clock: Clock) -> None:
    ws, env = _environment(tenant)
    tenant.publish_environment(ws, env)
    tenant.update_definition(ws, env, CHANGED)

    tenant.publish_environment(ws, env, duration_s=5, fails=True)
    clock.advance(5)
    failed = tenant.publish_details(ws, env)
    tenant.update_definition(ws, env, SETTINGS)  # back to what the first publish published

    assert (failed.state, failed.staged_changed) == ("Failed", True)
    assert tenant.publish_details(ws, env).staged_changed is False


def test_only_environments_are_published(tenant: FabricTenant) -> None:
    ws, _ = _environment(tenant)
    notebook = tenant.create_item(ws, "Notebook", "Load")

    with pytest.raises(TenantError) as refused:
        tenant.publish_environment(ws, notebook.id)

    assert (refused.value.status, refused.value.error_code) == (404, "ItemNotFound")
    assert list(tenant.list_publish_details(ws)) == [i.id for i in tenant.list_items(ws, "Environment")]
