"""The doctor's Fabric checks over the real HTTP gateway against the emulator: the identity's role in each
workspace (Fabric's roleAssignments, matched on the token's object id) and the capacity's state."""

from __future__ import annotations

import uuid

from emulator_process import RunningEmulator

from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.adapters.identity.token_claims import TokenPrincipal
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.entrypoints.doctor.capacity import check_capacity
from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.fabric import check_workspaces
from fabctl.entrypoints.doctor.outcome import Status
from fabctl.entrypoints.doctor.roles import check_roles
from fabctl.entrypoints.settings import Settings


def context_for(
    emulator: RunningEmulator, *environments: Environment, principal: TokenPrincipal | None
) -> DoctorContext:
    settings = Settings(fabric_url=emulator.url, state_store="memory")
    context = DoctorContext(settings, release=ReleaseConfig(environments), principal=principal)
    context._gateway = HttpxFabricGateway(emulator.url)  # the gateway a doctor builds, without its retry budget
    return context


def test_the_role_of_the_signed_in_principal_is_named(fresh_emulator: RunningEmulator) -> None:
    gateway = HttpxFabricGateway(fresh_emulator.url)
    dev = gateway.create_workspace("Doctor (dev)")
    test = gateway.create_workspace("Doctor (test)")
    me = TokenPrincipal(str(uuid.uuid4()), "tenant-1", "ci@contoso.com", is_application=False)
    gateway.add_role_assignment(dev.id, me.object_id, "User", "Contributor")
    gateway.add_role_assignment(test.id, str(uuid.uuid4()), "User", "Admin")  # someone else's
    context = context_for(
        fresh_emulator, Environment("dev", workspace_id=dev.id), Environment("test", workspace_name="Doctor (test)"),
        principal=me,
    )  # fmt: skip

    found = check_workspaces(context)
    outcome = check_roles(context)

    assert found.status is Status.PASS and found.detail == "dev: 'Doctor (dev)'; test: 'Doctor (test)'"
    assert set(context.workspaces) == {"dev", "test"}
    assert outcome.status is Status.PASS
    assert outcome.detail == (
        "ci@contoso.com: dev: 'Doctor (dev)' role Contributor; "
        "test: 'Doctor (test)' no role of its own (through a group)"
    )


def test_a_workspace_id_fabric_does_not_know_fails(fresh_emulator: RunningEmulator) -> None:
    unknown = str(uuid.uuid4())
    context = context_for(fresh_emulator, Environment("prod", workspace_id=unknown), principal=None)

    outcome = check_workspaces(context)

    assert outcome.status is Status.FAIL and f"prod ('{unknown}')" in outcome.detail and outcome.fix


def test_the_capacity_of_each_workspace_is_active(fresh_emulator: RunningEmulator) -> None:
    gateway = HttpxFabricGateway(fresh_emulator.url)
    capacity = gateway.list_capacities()[0]
    dev = gateway.create_workspace("Doctor (dev)", capacity_id=capacity.id)
    context = context_for(fresh_emulator, Environment("dev", workspace_id=dev.id), principal=None)
    check_workspaces(context)

    outcome = check_capacity(context)

    assert outcome.status is Status.PASS and outcome.detail == f"dev: capacity 'Local capacity' ({capacity.id}) Active"
