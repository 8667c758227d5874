"""The capacity each workspace runs on is active: on a paused one, every deployment fails."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.fabric import target_workspaces
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped


def check_capacity(context: DoctorContext) -> Outcome:
    workspaces = target_workspaces(context)
    listing = getattr(context.gateway(), "list_capacities", None)  # the HTTP gateway's: not the port's
    if listing is None:
        return skipped("the local Fabric has no capacities to pause")
    states = {c.id.lower(): c for c in listing()}
    seen: list[str] = []
    inactive: list[str] = []
    for env, workspace in workspaces.items():
        if not workspace.capacity_id:
            seen.append(f"{env}: no capacity")
            continue
        capacity = states.get(workspace.capacity_id.lower())
        if capacity is None:  # Fabric lists only the capacities the identity has a role on
            seen.append(f"{env}: capacity {workspace.capacity_id} not visible to the identity (state not known)")
            continue
        named = f"capacity '{capacity.name}' ({capacity.id})"
        (seen if capacity.state == "Active" else inactive).append(f"{env}: {named} {capacity.state}")
    if inactive:
        return failed(
            "paused: " + "; ".join(inactive),
            "resume the capacity (Azure portal: the Fabric capacity > Resume), or assign the workspace an active one",
        )
    return passed("; ".join(seen))
