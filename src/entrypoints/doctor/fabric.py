"""Fabric answers, each environment's workspace is visible, and the identity's role in it."""

from __future__ import annotations

from typing import Any

from fabctl.application.errors import ItemNotFound
from fabctl.entrypoints.doctor.context import DoctorContext, NotChecked
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed

# A name no workspace has: finding it lists the workspaces, the one read every identity may make.
_PROBE_NAME = "fabctl doctor: no workspace has this name"


def check_fabric(context: DoctorContext) -> Outcome:
    settings = context.loaded_settings()
    context.gateway().find_workspace(_PROBE_NAME)
    where = settings.fabric_url or f"the {settings.fabric} Fabric"
    return passed(f"{where} answers")


def check_workspaces(context: DoctorContext) -> Outcome:
    gateway = context.gateway()
    seen, missing = [], []
    for env in context.release_config().environments:
        try:
            found = gateway.get_workspace(env.workspace_id) if env.workspace_id else gateway.find_workspace(env.target)
        except ItemNotFound:
            found = None
        if found is None:
            missing.append(f"{env.name} ('{env.target}')")
            continue
        context.workspaces[env.name] = found
        seen.append(f"{env.name}: '{found.name}'{_role(context, gateway, found.id)}")
    if missing:
        return failed(
            f"not visible: {', '.join(missing)}" + (f"; visible: {'; '.join(seen)}" if seen else ""),
            "create the workspace (deploy creates one given by name) or give the identity a role in it",
        )
    return passed("; ".join(seen))


def _role(context: DoctorContext, gateway: Any, workspace_id: str) -> str:
    """' (role Admin)', or why the role is not known; Fabric lists roles to members and up."""
    listing = getattr(gateway, "list_role_assignments", None)  # the HTTP gateway's: not the port's
    if listing is None:
        return " (the local Fabric has no roles)"
    if context.principal is None:
        return " (role not known: no signed-in identity)"
    assignments = listing(workspace_id)
    roles = [a.role for a in assignments if a.principal_id.lower() == context.principal.object_id.lower()]
    return f" (role {roles[0]})" if roles else " (no role of its own: through a group, or as a viewer)"


def target_workspaces(context: DoctorContext) -> dict[str, Any]:
    if not context.workspaces:
        raise NotChecked("no workspace was found")
    return context.workspaces
