"""`fabctl deploy --fabric-url` against a running emulator does exactly what the embedded default does."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from cli import EXAMPLE, run_json
from emulator_process import requests_log, running_emulator, snapshot

from fabctl.adapters.fabric.tenant import FabricTenant

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def comparable(tenant_snapshot: dict[str, Any]) -> dict[str, Any]:
    """Workspaces with their items and definitions, ids (which differ between tenants) blanked."""
    workspaces = {}
    for ws in tenant_snapshot["workspaces"]:
        items = {
            (i["type"], i["displayName"]): (
                i["description"],
                i.get("folder", ""),
                [(p["path"], GUID.sub("<id>", p.get("text") or p.get("base64", ""))) for p in i["definition"]["parts"]],
            )
            for i in ws["items"]
        }
        workspaces[ws["displayName"]] = ([f["path"] for f in ws["folders"]], items)
    return workspaces


def deploy_and_promote(cwd: Path, *url: str) -> list[tuple[str, str, str]]:
    shutil.copytree(EXAMPLE, cwd / "sales")
    flags = ("--fabric-url", *url) if url else ()
    first = run_json(cwd, "deploy", "sales", "--env", "dev", *flags)
    again = run_json(cwd, "plan", "sales", "--env", "dev", *flags)
    assert again["summary"]["no-op"] == 8, again
    request = run_json(cwd, "promote", "request", "sales", "--from", "dev", "--user", "alice", *flags)
    approved = run_json(cwd, "promote", "approve", request["id"], "--user", "bob", *flags)
    assert approved["state"] == "succeeded", approved
    return [(o["item"], o["action"], o["status"]) for o in first["outcomes"]]


def test_deploy_through_the_emulator_matches_the_embedded_default(tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "remote"
    local.mkdir()
    remote.mkdir()
    with running_emulator("--lro-ms", "20", "--sql-endpoint-ms", "0", tmp_path=tmp_path) as emulator:
        over_http = deploy_and_promote(remote, emulator.url)
        served = snapshot(emulator, ids=False)
        log = requests_log(emulator)
    embedded = deploy_and_promote(local)

    assert over_http == embedded
    with FabricTenant.at(local / ".fabctl" / "local-fabric.db") as tenant:
        assert comparable(served) == comparable(tenant.snapshot(ids=False))
    assert set(comparable(served)) == {"Sales (dev)", "Sales (test)"}
    assert not (remote / ".fabctl" / "local-fabric.db").exists()  # nothing went to the local Fabric
    assert log["byRoute"].get("POST /v1/workspaces/{workspaceId}/items", 0) == 16
