"""fabric-cicd 1.4.0, unmodified, with its `enable_shortcut_publish` flag, publishes lakehouses with a
`shortcuts.metadata.json` into the emulator: the shortcuts are created with the deployed ids (a
logical id, the zero GUID as "this workspace" and as "this lakehouse"), and a second publish
overwrites the ones in the file and deletes the ones that are not (one made by hand included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator
from fabric_cicd_repository import PLATFORM_SCHEMA, ZERO_GUID
from fabric_cicd_run import DEFAULT_TOKEN, deployed_ids, describe, publish_with_fabric_cicd

BRONZE_ID = "7a2e0c11-5b3d-4e6f-8a9b-1c2d3e4f5a01"
SILVER_ID = "7a2e0c11-5b3d-4e6f-8a9b-1c2d3e4f5a02"
FLAGS = ("enable_shortcut_publish",)


@pytest.fixture
def client(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(base_url=fresh_emulator.root, headers=headers, timeout=30, trust_env=False) as http:
        yield http


def _write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _lakehouse(repo: Path, name: str, logical_id: str) -> Path:
    folder = repo / f"{name}.Lakehouse"
    metadata = {"type": "Lakehouse", "displayName": name, "description": ""}
    _write(
        folder / ".platform",
        {"$schema": PLATFORM_SCHEMA, "metadata": metadata, "config": {"version": "2.0", "logicalId": logical_id}},
    )
    _write(folder / "lakehouse.metadata.json", {})
    return folder


def _onelake(name: str, path: str, item_id: str, target_path: str) -> dict[str, Any]:
    target = {"workspaceId": ZERO_GUID, "itemId": item_id, "path": target_path}
    return {"name": name, "path": path, "target": {"type": "OneLake", "oneLake": target}}


def _shortcuts(client: httpx.Client, ws: str, item: str) -> dict[str, tuple[str, str, str]]:
    listed = client.get(f"/v1/workspaces/{ws}/items/{item}/shortcuts")
    assert listed.status_code == 200, listed.text
    return {
        f"{s['path']}/{s['name']}": (
            s["target"]["oneLake"]["workspaceId"],
            s["target"]["oneLake"]["itemId"],
            s["target"]["oneLake"]["path"],
        )
        for s in listed.json()["value"]
    }


def test_fabric_cicd_publishes_and_prunes_lakehouse_shortcuts(
    fresh_emulator: RunningEmulator, client: httpx.Client, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    _lakehouse(repo, "Bronze", BRONZE_ID)
    silver = _lakehouse(repo, "Silver", SILVER_ID)
    _write(
        silver / "shortcuts.metadata.json",
        [_onelake("sales", "Tables", BRONZE_ID, "Tables/sales"), _onelake("own", "Files/raw", ZERO_GUID, "Files/in")],
    )
    created = client.post("/v1/workspaces", json={"displayName": "fabric-cicd shortcuts"})
    assert created.status_code == 201, created.text
    ws = created.json()["id"]

    first = publish_with_fabric_cicd(fresh_emulator.url, repo, ws, ["Lakehouse"], feature_flags=FLAGS)
    assert first.returncode == 0, describe(first)
    ids = deployed_ids(first)["Lakehouse"]
    assert _shortcuts(client, ws, ids["Silver"]) == {
        "Tables/sales": (ws, ids["Bronze"], "Tables/sales"),
        "Files/raw/own": (ws, ids["Silver"], "Files/in"),
    }

    by_hand = _onelake("scratch", "Files", ids["Bronze"], "Files/tmp")
    by_hand["target"]["oneLake"]["workspaceId"] = ws
    assert client.post(f"/v1/workspaces/{ws}/items/{ids['Silver']}/shortcuts", json=by_hand).status_code == 201
    _write(silver / "shortcuts.metadata.json", [_onelake("sales", "Tables", BRONZE_ID, "Tables/orders")])

    second = publish_with_fabric_cicd(fresh_emulator.url, repo, ws, ["Lakehouse"], feature_flags=FLAGS)
    assert second.returncode == 0, describe(second)
    assert _shortcuts(client, ws, ids["Silver"]) == {"Tables/sales": (ws, ids["Bronze"], "Tables/orders")}
    assert _shortcuts(client, ws, ids["Bronze"]) == {}
