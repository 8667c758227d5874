"""The signed-in identity's role in each target workspace: deploying needs Contributor or higher.

Fabric's `GET /workspaces/{id}/roleAssignments` lists the workspace's roles to its Members and Admins; the
identity's own assignment is found by the object id in its token. A role held only through a group is
not listed under the identity's id, and an identity below Member is refused the listing: both are said,
not failed, since Contributor (enough to deploy) is among them.
"""

from __future__ import annotations

from typing import Any

from fabctl.application.errors import AccessDenied
from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.fabric import target_workspaces
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped

ENOUGH = ("Admin", "Member", "Contributor")  # Fabric's roles that may create and update items


def check_roles(context: DoctorContext) -> Outcome:
    gateway = context.gateway()
    listing = getattr(gateway, "list_role_assignments", None)  # the HTTP gateway's: not the port's
    if listing is None:
        return skipped("the embedded local Fabric has no sign-in and no roles: every call is its one local user")
    if context.principal is None:
        return skipped(
            "no signed-in identity (a loopback emulator and no FABCTL_AUTH): there is nobody's role to look up"
        )
    seen: list[str] = []
    short: list[str] = []
    for env, workspace in target_workspaces(context).items():
        role = _role_of(listing, workspace.id, context.principal.object_id)
        line = f"{env}: '{workspace.name}' {role}"
        (short if role == "role Viewer" else seen).append(line)
    if short:
        return failed(
            f"{context.principal.name} is only a Viewer in " + "; ".join(short),
            f"give {context.principal.name} (object id {context.principal.object_id}) the Contributor role or "
            "higher in that workspace (workspace > Manage access, by one of its Admins)",
        )
    return passed(f"{context.principal.name}: " + "; ".join(seen))


def _role_of(listing: Any, workspace_id: str, object_id: str) -> str:
    try:
        assignments = listing(workspace_id)
    except AccessDenied:
        return "role below Member (Fabric lists roles to Members and up; Contributor can deploy, Viewer cannot)"
    roles = [a.role for a in assignments if a.principal_id.lower() == object_id.lower()]
    return f"role {roles[0]}" if roles else "no role of its own (through a group)"
