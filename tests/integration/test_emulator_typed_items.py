"""Typed item routes, per-type creates, seeded connections and the Retry-After knobs of the emulator,
beyond the key paths the conformance suite checks: the values and the rules behind them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_process import RunningEmulator, configure, running_emulator


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh_emulator.url, timeout=10, trust_env=False) as http:
        yield http


def _workspace(api: httpx.Client) -> str:
    created = api.post("/workspaces", json={"displayName": "Typed"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _part(path: str, document: Any) -> dict[str, str]:
    payload = base64.b64encode(json.dumps(document).encode("utf-8")).decode("ascii")
    return {"path": path, "payload": payload, "payloadType": "InlineBase64"}


def _create(api: httpx.Client, ws: str, item_type: str, name: str, **body: Any) -> dict[str, Any]:
    """Create at once (the session runs with `lro_share` 1, so switch it off for the create)."""
    created = api.post(f"/workspaces/{ws}/items", json={"displayName": name, "type": item_type, **body})
    assert created.status_code == 201, created.text
    return dict(created.json())


@pytest.fixture
def at_once(fresh_emulator: RunningEmulator) -> None:
    configure(fresh_emulator, lro_share=0.0)


def test_a_lakehouse_has_a_default_schema_only_when_created_schema_enabled(api: httpx.Client, at_once: None) -> None:
    ws = _workspace(api)
    plain = _create(api, ws, "Lakehouse", "Plain")
    schemas = _create(api, ws, "Lakehouse", "Schemas", creationPayload={"enableSchemas": True})

    plain_properties = api.get(f"/workspaces/{ws}/lakehouses/{plain['id']}").json()["properties"]
    schema_properties = api.get(f"/workspaces/{ws}/lakehouses/{schemas['id']}").json()["properties"]

    assert "defaultSchema" not in plain_properties
    assert schema_properties["defaultSchema"] == "dbo"
    assert plain_properties["oneLakeTablesPath"].endswith(f"/{ws}/{plain['id']}/Tables")
    assert plain_properties["oneLakeFilesPath"].endswith(f"/{ws}/{plain['id']}/Files")


def test_a_typed_route_sees_only_its_own_type_in_both_forms(api: httpx.Client, at_once: None) -> None:
    ws = _workspace(api)
    lakehouse = _create(api, ws, "Lakehouse", "Bronze")
    warehouse = _create(api, ws, "Warehouse", "Gold")

    wrong = api.get(f"/workspaces/{ws}/warehouses/{lakehouse['id']}")
    listed = api.get(f"/workspaces/{ws}/warehouses").json()["value"]
    lakehouses = api.get(f"/workspaces/{ws}/LAKEHOUSES").json()["value"]

    assert (wrong.status_code, wrong.json()["errorCode"]) == (404, "ItemNotFound")
    assert [w["id"] for w in listed] == [warehouse["id"]]
    assert [w["id"] for w in lakehouses] == [lakehouse["id"]]
    assert listed[0]["properties"]["collationType"] == "Latin1_General_100_BIN2_UTF8"
    assert listed[0]["sensitivityLabel"]["id"]


def test_an_eventhouse_lists_the_kql_databases_whose_parent_it_is(api: httpx.Client, at_once: None) -> None:
    ws = _workspace(api)
    eventhouse = _create(api, ws, "Eventhouse", "Events")
    other = _create(api, ws, "Eventhouse", "Other")
    from_definition = _create(
        api,
        ws,
        "KQLDatabase",
        "Telemetry",
        definition={"parts": [_part("DatabaseProperties.json", {"parentEventhouseItemId": eventhouse["id"].upper()})]},
    )
    from_payload = _create(
        api,
        ws,
        "KQLDatabase",
        "Follower",
        creationPayload={"databaseType": "Shortcut", "parentEventhouseItemId": other["id"]},
    )

    events = api.get(f"/workspaces/{ws}/eventhouses/{eventhouse['id']}").json()["properties"]
    database = api.get(f"/workspaces/{ws}/kqlDatabases/{from_definition['id']}").json()["properties"]
    follower = api.get(f"/workspaces/{ws}/kqldatabases/{from_payload['id']}").json()["properties"]

    assert events["databasesItemIds"] == [from_definition["id"]]
    assert (database["parentEventhouseItemId"], database["databaseType"]) == (eventhouse["id"], "ReadWrite")
    assert (follower["parentEventhouseItemId"], follower["databaseType"]) == (other["id"], "Shortcut")
    # A database is served by its eventhouse's cluster: the URIs fabric-cicd reads for KQL querysets.
    assert database["queryServiceUri"] == events["queryServiceUri"]
    assert database["ingestionServiceUri"] == events["ingestionServiceUri"]


def test_sql_endpoints_of_lakehouses_and_mirrored_databases_provision_later(api: httpx.Client, at_once: None) -> None:
    ws = _workspace(api)
    mirrored = _create(
        api, ws, "MirroredDatabase", "Mirror", definition={"parts": [_part("mirroring.json", {"properties": {}})]}
    )
    database = _create(api, ws, "SQLDatabase", "Orders")

    early = api.get(f"/workspaces/{ws}/mirroredDatabases/{mirrored['id']}").json()["properties"]
    sql = api.get(f"/workspaces/{ws}/sqlDatabases/{database['id']}").json()["properties"]

    # The session emulator provisions in 400 ms (--sql-endpoint-ms): just created, it is still going.
    assert early["sqlEndpointProperties"] == {"id": None, "connectionString": None, "provisioningStatus": "InProgress"}
    assert sql["databaseName"] == f"Orders-{database['id']}"
    assert sql["serverFqdn"].endswith(",1433") and sql["serverFqdn"].split(",")[0] in sql["connectionString"]


def test_a_seeded_connection_keeps_the_recorded_fields_it_was_given(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    seed = {
        "displayName": "Gateway SQL",
        "connectivityType": "OnPremisesGateway",
        "gatewayId": "5E2F0C1A-0000-4000-8000-00000000AB01",
        "privacyLevel": "private",
        "allowConnectionUsageInGateway": True,
        "connectionDetails": {"type": "SQL", "path": "srv;db"},
        "credentialDetails": {"credentialType": "Windows", "connectionEncryption": "Encrypted"},
    }
    seeded = httpx.post(f"{fresh_emulator.admin}/connections", json=seed)
    bad = httpx.post(f"{fresh_emulator.admin}/connections", json={**seed, "displayName": "B", "privacyLevel": "Top"})
    listed = api.get("/connections").json()["value"]

    assert seeded.status_code == 201, seeded.text
    assert listed == [seeded.json()]
    assert listed[0]["gatewayId"] == "5e2f0c1a-0000-4000-8000-00000000ab01"
    assert (listed[0]["privacyLevel"], listed[0]["allowConnectionUsageInGateway"]) == ("Private", True)
    assert listed[0]["credentialDetails"] == {
        "credentialType": "Windows",
        "connectionEncryption": "Encrypted",
        "singleSignOnType": "None",
        "skipTestConnection": False,
    }
    assert bad.status_code == 400 and "privacyLevel" in bad.json()["message"]


def test_no_lro_share_answers_even_the_long_running_types_at_once(api: httpx.Client, at_once: None) -> None:
    ws = _workspace(api)
    created = api.post(f"/workspaces/{ws}/items", json={"displayName": "W", "type": "Warehouse"})
    assert created.status_code == 201, created.text


def test_a_bare_create_of_a_definition_type_is_at_once_and_of_a_shell_type_long_running(api: httpx.Client) -> None:
    ws = _workspace(api)
    notebook = api.post(f"/workspaces/{ws}/items", json={"displayName": "Empty", "type": "Notebook"})
    warehouse = api.post(f"/workspaces/{ws}/items", json={"displayName": "Gold", "type": "Warehouse"})

    assert notebook.status_code == 201, notebook.text
    assert warehouse.status_code == 202, warehouse.text


# --- Retry-After: the recorded profile, the fast one, and the knobs ---------------------------------


def test_the_default_profile_asks_for_the_recorded_20_seconds_and_the_knob_shortens_it(tmp_path: Path) -> None:
    # 10 s: the operation is still running at every poll below, however slow the machine.
    with running_emulator("--profile", "recorded", "--lro-ms", "10000", tmp_path=tmp_path) as emulator:
        config = httpx.get(f"{emulator.admin}/config").json()
        with httpx.Client(base_url=emulator.url, timeout=10) as api:
            ws = _workspace(api)
            recorded = api.post(f"/workspaces/{ws}/items", json={"displayName": "A", "type": "Warehouse"})
            early = api.get(recorded.headers["Location"])  # sooner than the 20 s: refused (ADR 0029)
            configure(emulator, refuse_early_polls=False)
            polled = api.get(recorded.headers["Location"])
            configure(emulator, create_retry_after_s=0, lro_ms=100)
            fast = api.post(f"/workspaces/{ws}/items", json={"displayName": "B", "type": "Warehouse"})

    assert (config["create_retry_after_s"], config["publish_retry_after_s"]) == (20, 120)
    assert config["refuse_early_polls"] is True
    assert recorded.headers["Retry-After"] == "20"
    assert (early.status_code, early.headers["x-ms-public-api-error-code"]) == (429, "RequestBlocked")
    assert polled.json()["status"] in ("NotStarted", "Running") and polled.headers["Retry-After"] == "20"
    assert fast.headers["Retry-After"] == "1"  # the operation's 100 ms, rounded up


def test_the_fast_profile_lets_retry_after_follow_the_operation_and_a_flag_wins(tmp_path: Path) -> None:
    args = ("--profile", "fast", "--publish-retry-after-s", "7", "--lro-ms", "3000", "--refuse-early-polls")
    with running_emulator(*args, tmp_path=tmp_path) as emulator:
        config = httpx.get(f"{emulator.admin}/config").json()
        with httpx.Client(base_url=emulator.url, timeout=10) as api:
            ws = _workspace(api)
            created = api.post(f"/workspaces/{ws}/items", json={"displayName": "A", "type": "Warehouse"})
            polled = api.get(created.headers["Location"])  # at once: a create without a floor asks no wait of it

    assert (config["create_retry_after_s"], config["publish_retry_after_s"]) == (0, 7)
    assert config["refuse_early_polls"] is True  # the flag wins over the profile's off
    assert created.headers["Retry-After"] == "3"
    assert polled.status_code == 200, polled.text


def _library(api: httpx.Client, ws: str, *value_sets: str) -> dict[str, Any]:
    parts = [_part("variables.json", {"variables": [{"name": "stage", "type": "String", "value": "dev"}]})]
    parts.append(_part("settings.json", {"valueSetsOrder": list(value_sets)}))
    # The file name and the set's name differ: a set is known by the name it gives itself.
    parts += [
        _part(f"valueSets/set{n}.json", {"name": name, "variableOverrides": []}) for n, name in enumerate(value_sets)
    ]
    return _create(api, ws, "VariableLibrary", "Vars", definition={"parts": parts})


def test_a_variable_library_keeps_its_active_value_set(
    api: httpx.Client, at_once: None, fresh_emulator: RunningEmulator
) -> None:
    ws = _workspace(api)
    library = _library(api, ws, "test", "prod")
    typed = f"/workspaces/{ws}/variableLibraries/{library['id']}"

    before = api.get(typed).json()["properties"]
    patched = api.patch(
        f"/workspaces/{ws}/VariableLibraries/{library['id']}", json={"properties": {"activeValueSetName": "prod"}}
    )
    after = api.get(typed).json()["properties"]
    listed = api.get(f"/workspaces/{ws}/variableLibraries").json()["value"]
    snapshot = httpx.get(f"{fresh_emulator.admin}/snapshot", timeout=10).json()

    assert before == {"activeValueSetName": "Default value set"}  # a new library applies its default values
    assert patched.status_code == 200, patched.text
    assert after == {"activeValueSetName": "prod"}
    assert [(i["id"], i["properties"]["activeValueSetName"]) for i in listed] == [(library["id"], "prod")]
    [held] = [i for w in snapshot["workspaces"] for i in w["items"] if i["type"] == "VariableLibrary"]
    assert held["activeValueSetName"] == "prod"


@pytest.mark.parametrize("name", ["staging", "set0", "PROD"], ids=["unknown", "file-name", "other-case"])
def test_a_value_set_the_library_does_not_have_is_refused_and_changes_nothing(
    api: httpx.Client, at_once: None, name: str
) -> None:
    ws = _workspace(api)
    library = _library(api, ws, "prod")
    api.patch(
        f"/workspaces/{ws}/VariableLibraries/{library['id']}", json={"properties": {"activeValueSetName": "prod"}}
    )

    refused = api.patch(
        f"/workspaces/{ws}/VariableLibraries/{library['id']}", json={"properties": {"activeValueSetName": name}}
    )

    assert refused.status_code == 400, refused.text
    assert refused.json()["errorCode"] == "InvalidValueSetName"
    assert name in refused.json()["message"] and "Default value set, prod" in refused.json()["message"]
    assert api.get(f"/workspaces/{ws}/variableLibraries/{library['id']}").json()["properties"] == {
        "activeValueSetName": "prod"
    }
