"""OneLake shortcuts over real sockets: status, key paths and headers as Fabric answers them.

The recorded rows (docs/reference/fabric-recorded-behaviour.md) restated as facts: the list answers
200 with `value[]` (possibly empty) and `Content-Type: application/json` without a charset; a create
whose target the tenant cannot reach is a 400 whose body has `errorCode, message, requestId,
isRetriable, moreDetails[].{errorCode, message}`. The rest (201 on create, the conflict policies,
delete, paths with slashes) follows Fabric's Create/Get/Delete Shortcut reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, snapshot

TOKEN = {"Authorization": "Bearer token-of-alice"}
RECORDED = {
    ("GET", "list"): {"status": 200, "content_type": "application/json", "keys": ["value"]},
    ("POST", "unreachable"): {
        "status": 400,
        "keys": ["errorCode", "message", "requestId", "isRetriable", "moreDetails"],
        "detail_keys": ["errorCode", "message"],
    },
}


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh_emulator.root, headers=TOKEN, timeout=10, trust_env=False) as http:
        yield http


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _workspace(api: httpx.Client, name: str = "Dev") -> str:
    return str(_created(api.post("/v1/workspaces", json={"displayName": name}))["id"])


def _lakehouse(api: httpx.Client, ws: str, name: str) -> str:
    return str(_created(api.post(f"/v1/workspaces/{ws}/items", json={"displayName": name, "type": "Lakehouse"}))["id"])


@pytest.fixture
def lakehouses(api: httpx.Client) -> tuple[str, str, str]:
    ws = _workspace(api)
    return ws, _lakehouse(api, ws, "Bronze"), _lakehouse(api, ws, "Silver")


def _onelake(ws: str, item: str, path: str = "Tables/sales") -> dict[str, Any]:
    return {"oneLake": {"workspaceId": ws, "itemId": item, "path": path}}


def _shortcuts(api: httpx.Client, ws: str, item: str) -> str:
    return f"/v1/workspaces/{ws}/items/{item}/shortcuts"


def test_an_empty_list_answers_as_recorded(api: httpx.Client, lakehouses: tuple[str, str, str]) -> None:
    ws, bronze, _ = lakehouses
    response = api.get(_shortcuts(api, ws, bronze))
    row = RECORDED[("GET", "list")]
    assert response.status_code == row["status"]
    assert response.headers["content-type"] == row["content_type"]
    assert list(response.json()) == row["keys"]
    assert response.json()["value"] == []


def test_a_created_shortcut_is_listed_read_and_deleted(api: httpx.Client, lakehouses: tuple[str, str, str]) -> None:
    ws, bronze, silver = lakehouses
    body = {"path": "Files/raw/eu", "name": "sales", "target": _onelake(ws, bronze.upper(), "Files/sales")}
    created = api.post(_shortcuts(api, ws, silver), json=body)
    shown = _created(created)
    assert shown == {
        "path": "Files/raw/eu",
        "name": "sales",
        "target": {"type": "OneLake", "oneLake": {"workspaceId": ws, "itemId": bronze, "path": "Files/sales"}},
    }
    assert created.headers["location"].endswith(f"/items/{silver}/shortcuts/Files/raw/eu/sales")
    assert api.get(_shortcuts(api, ws, silver)).json()["value"] == [shown]
    one = api.get(_shortcuts(api, ws, silver) + "/Files/raw/eu/sales")
    assert (one.status_code, one.json()) == (200, shown)
    deleted = api.delete(_shortcuts(api, ws, silver) + "/Files/raw/eu/sales")
    assert deleted.status_code == 200
    assert api.get(_shortcuts(api, ws, silver)).json()["value"] == []
    gone = api.get(_shortcuts(api, ws, silver) + "/Files/raw/eu/sales")
    assert gone.status_code == 404 and gone.json()["errorCode"] == "EntityNotFound"


def test_an_unreachable_onelake_target_is_the_recorded_400(api: httpx.Client, lakehouses: tuple[str, str, str]) -> None:
    ws, bronze, _ = lakehouses
    missing = "11111111-2222-3333-4444-555555555555"
    response = api.post(
        _shortcuts(api, ws, bronze) + "?shortcutConflictPolicy=CreateOrOverwrite",
        json={"path": "Tables", "name": "sales", "target": _onelake(ws, missing)},
    )
    row = RECORDED[("POST", "unreachable")]
    assert response.status_code == row["status"]
    body = response.json()
    assert sorted(body) == sorted(row["keys"])
    assert body["isRetriable"] is False
    assert [sorted(d) for d in body["moreDetails"]] == [sorted(row["detail_keys"])]
    assert body["moreDetails"][0]["errorCode"] == "ShortcutTargetNotFound"
    assert missing in body["moreDetails"][0]["message"]
    assert api.get(_shortcuts(api, ws, bronze)).json()["value"] == []


def test_an_external_target_needs_a_seeded_connection(
    api: httpx.Client, fresh_emulator: RunningEmulator, lakehouses: tuple[str, str, str]
) -> None:
    ws, bronze, _ = lakehouses
    target = {"adlsGen2": {"location": "https://acct.dfs.core.windows.net", "subpath": "/raw", "connectionId": ""}}
    target["adlsGen2"]["connectionId"] = "99999999-0000-0000-0000-000000000001"
    refused = api.post(_shortcuts(api, ws, bronze), json={"path": "Files", "name": "lake", "target": target})
    assert refused.status_code == 400 and refused.json()["moreDetails"][0]["errorCode"] == "ConnectionNotFound"
    seeded = httpx.post(
        f"{fresh_emulator.admin}/connections",
        json={"displayName": "adls", "connectionDetails": {"type": "AzureDataLakeStorage", "path": "https://acct"}},
        timeout=10,
    )
    assert seeded.status_code == 201, seeded.text
    target["adlsGen2"]["connectionId"] = seeded.json()["id"]
    accepted = _created(api.post(_shortcuts(api, ws, bronze), json={"path": "Files", "name": "lake", "target": target}))
    assert accepted["target"]["type"] == "AdlsGen2"
    assert accepted["target"]["adlsGen2"]["connectionId"] == seeded.json()["id"]


@pytest.mark.parametrize(
    "path",
    ["Other", "files/raw", "Tables/a/b", "", "Files//x"],
)
def test_a_path_not_under_tables_or_files_is_refused(
    api: httpx.Client, lakehouses: tuple[str, str, str], path: str
) -> None:
    ws, bronze, silver = lakehouses
    response = api.post(_shortcuts(api, ws, silver), json={"path": path, "name": "s", "target": _onelake(ws, bronze)})
    assert response.status_code == 400
    assert response.json()["moreDetails"][0]["errorCode"] == "InvalidShortcutPath"


def test_the_conflict_policies(api: httpx.Client, lakehouses: tuple[str, str, str]) -> None:
    ws, bronze, silver = lakehouses
    url = _shortcuts(api, ws, silver)
    first = {"path": "Tables", "name": "sales", "target": _onelake(ws, bronze, "Tables/sales")}
    second = {"path": "Tables", "name": "sales", "target": _onelake(ws, bronze, "Tables/orders")}
    _created(api.post(url, json=first))
    assert api.post(url, json=second).status_code == 409  # Abort is the default
    assert api.post(url + "?shortcutConflictPolicy=Abort", json=second).json()["errorCode"] == "ShortcutAlreadyExists"
    renamed = _created(api.post(url + "?shortcutConflictPolicy=GenerateUniqueName", json=second))
    assert renamed["name"] == "sales_1"
    again_renamed = _created(api.post(url + "?shortcutConflictPolicy=GenerateUniqueName", json=second))
    assert again_renamed["name"] == "sales_2"
    overwritten = _created(api.post(url + "?shortcutConflictPolicy=CreateOrOverwrite", json=second))
    assert overwritten["target"]["oneLake"]["path"] == "Tables/orders"
    only = api.post(url + "?shortcutConflictPolicy=OverwriteOnly", json={**second, "name": "absent"})
    assert only.status_code == 404
    again = _created(api.post(url + "?shortcutConflictPolicy=OverwriteOnly", json=first))
    assert again["target"]["oneLake"]["path"] == "Tables/sales"
    assert api.post(url + "?shortcutConflictPolicy=Sometimes", json=first).status_code == 400
    assert [(s["name"], s["target"]["oneLake"]["path"]) for s in api.get(url).json()["value"]] == [
        ("sales", "Tables/sales"),
        ("sales_1", "Tables/orders"),
        ("sales_2", "Tables/orders"),
    ]


def test_only_lakehouses_hold_shortcuts(api: httpx.Client, lakehouses: tuple[str, str, str]) -> None:
    ws, _, _ = lakehouses
    notebook = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "N", "type": "Notebook"})
    assert notebook.status_code in (201, 202), notebook.text
    listed = api.get(f"/v1/workspaces/{ws}/items").json()["value"]
    notebook_id = next(i["id"] for i in listed if i["type"] == "Notebook")
    response = api.get(_shortcuts(api, ws, notebook_id))
    assert (response.status_code, response.json()["errorCode"]) == (400, "OperationNotSupportedForItem")
    assert api.get(_shortcuts(api, ws, "12345678-0000-0000-0000-000000000000")).status_code == 404


def test_the_list_is_paged(
    api: httpx.Client, fresh_emulator: RunningEmulator, lakehouses: tuple[str, str, str]
) -> None:
    ws, bronze, silver = lakehouses
    for name in ("a", "b", "c"):
        _created(
            api.post(_shortcuts(api, ws, silver), json={"path": "Files", "name": name, "target": _onelake(ws, bronze)})
        )
    httpx.post(f"{fresh_emulator.admin}/config", json={"page_size": 2}, timeout=10).raise_for_status()
    first = api.get(_shortcuts(api, ws, silver)).json()
    second = httpx.get(first["continuationUri"], headers=TOKEN, timeout=10).json()
    assert [s["name"] for s in first["value"] + second["value"]] == ["a", "b", "c"]
    assert "continuationUri" not in second


def test_deleting_the_lakehouse_deletes_its_shortcuts(
    api: httpx.Client, fresh_emulator: RunningEmulator, lakehouses: tuple[str, str, str]
) -> None:
    ws, bronze, silver = lakehouses
    _created(api.post(_shortcuts(api, ws, silver), json={"path": "Files", "name": "b", "target": _onelake(ws, bronze)}))
    held = {i["displayName"]: i.get("shortcuts") for i in snapshot(fresh_emulator, ids=False)["workspaces"][0]["items"]}
    assert held["Silver"] == [
        {
            "path": "Files",
            "name": "b",
            "target": {
                "type": "OneLake",
                "oneLake": {"path": "Tables/sales", "workspace": "Dev", "item": "Bronze.Lakehouse"},
            },
        }
    ]
    assert api.delete(f"/v1/workspaces/{ws}/items/{silver}").status_code == 200
    recreated = _lakehouse(api, ws, "Gold")
    assert api.get(_shortcuts(api, ws, recreated)).json()["value"] == []
    assert all("shortcuts" not in i for i in snapshot(fresh_emulator)["workspaces"][0]["items"])
