"""Fabric answers, and each environment's workspace is visible (the identity's role in it: roles.py)."""

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
        seen.append(f"{env.name}: '{found.name}'")
    if missing:
        return failed(
            f"not visible: {', '.join(missing)}" + (f"; visible: {'; '.join(seen)}" if seen else ""),
            "create the workspace (deploy creates one given by name) or give the identity a role in it",
        )
    return passed("; ".join(seen))


def target_workspaces(context: DoctorContext) -> dict[str, Any]:
    if not context.workspaces:
        raise NotChecked("no workspace was found")
    return context.workspaces
