"""`fabctl emulator serve` over real sockets: what a Fabric client sees, checked against the shared
Fabric REST reference (docs/reference/fabric-rest-api.md; section numbers in the comments).

Most tests share the session's server (`fresh_emulator` resets it); those about the process itself
(restart, signals, TLS) start their own.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from certificates import self_signed_certificate
from emulator_process import RunningEmulator, configure, requests_log, reset, running_emulator, snapshot

JSON_TYPE = "application/json; charset=utf-8"
TOKEN = "token-of-alice"
TERMINAL = ("Succeeded", "Failed")


def client(emulator: RunningEmulator, token: str | None = TOKEN, **options: Any) -> httpx.Client:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=emulator.root, headers=headers, timeout=10, trust_env=False, **options)


@pytest.fixture
def api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with client(fresh_emulator) as http:
        yield http


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def definition(*parts: tuple[str, bytes]) -> dict[str, Any]:
    return {"parts": [{"path": p, "payload": b64(data), "payloadType": "InlineBase64"} for p, data in parts]}


NOTEBOOK = definition(("notebook-content.py", b"print('hi')\n"))


def new_workspace(api: httpx.Client, name: str = "Dev") -> str:
    created = api.post("/v1/workspaces", json={"displayName": name})
    assert created.status_code == 201, created.text
    workspace_id: str = created.json()["id"]
    return workspace_id


def unlabelled(item: dict[str, Any]) -> dict[str, Any]:
    """`item` without the sensitivityLabel that reads (GET, PATCH, lists) carry and creates need not."""
    assert isinstance(item["sensitivityLabel"]["id"], str)
    return {k: v for k, v in item.items() if k != "sensitivityLabel"}


def create_notebook(api: httpx.Client, ws: str, name: str) -> dict[str, Any]:
    created = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": name, "type": "Notebook"})
    assert created.status_code == 201, created.text
    item: dict[str, Any] = created.json()
    return item


def poll(api: httpx.Client, location: str, timeout: float = 10) -> tuple[list[str], httpx.Response]:
    """Every status seen while polling `location` until a terminal one, and the last response."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(location)
        assert response.status_code == 200, response.text
        seen.append(response.json()["status"])
        if seen[-1] in TERMINAL or time.monotonic() > deadline:
            return seen, response
        time.sleep(0.05)


def jwt(**claims: str) -> str:
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")  # noqa: E731
    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}.signature"


# --- transport conventions (§1, §3) -----------------------------------------------------------------


def test_the_first_stdout_line_is_the_api_base_url(emulator: RunningEmulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", emulator.url)
    with client(emulator) as http:
        assert http.get(emulator.url + "/capacities").status_code == 200


def test_every_response_has_a_request_id_and_a_content_type(api: httpx.Client) -> None:
    ws = new_workspace(api)
    item = create_notebook(api, ws, "Load")
    listed = api.get(f"/v1/workspaces/{ws}/items")
    deleted = api.delete(f"/v1/workspaces/{ws}/items/{item['id']}")
    missing = api.get(f"/v1/workspaces/{ws}/items/{item['id']}")

    assert listed.headers["Content-Type"] == JSON_TYPE
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert deleted.headers["Content-Type"] == "application/octet-stream"
    assert deleted.headers["Content-Length"] == "0"
    ids = [r.headers["RequestId"] for r in (listed, deleted, missing)]
    assert len({str(uuid.UUID(i)) for i in ids}) == 3


def test_errors_have_fabrics_body_and_header(api: httpx.Client) -> None:
    ws = new_workspace(api)
    missing_item = str(uuid.uuid4())
    not_found = api.get(f"/v1/workspaces/{ws}/items/{missing_item}")
    create_notebook(api, ws, "Sales")
    conflict = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "sales", "type": "Notebook"})
    no_route = api.get("/v1/nowhere/at/all")

    body = not_found.json()
    assert not_found.status_code == 404
    assert body["errorCode"] == "ItemNotFound" == not_found.headers["x-ms-public-api-error-code"]
    assert body["requestId"] == not_found.headers["RequestId"]
    assert body["relatedResource"] == {"resourceId": missing_item, "resourceType": "Item"}
    assert body["message"]
    assert conflict.status_code == 409
    assert conflict.headers["x-ms-public-api-error-code"] == "ItemDisplayNameAlreadyInUse"
    assert no_route.status_code == 404
    assert no_route.json()["errorCode"] == "NotFound" == no_route.headers["x-ms-public-api-error-code"]


def test_bodies_on_get_and_delete_and_unknown_fields_are_ignored(api: httpx.Client) -> None:
    # fabric-cicd sends the JSON string "{}" as the body of every request (§1).
    created = api.post("/v1/workspaces", json={"displayName": "Dev", "color": "blue", "type": "Workspace"})
    ws = created.json()["id"]
    fetched = api.request("GET", f"/v1/workspaces/{ws}", json="{}")
    listed = api.request("GET", "/v1/workspaces", content=b"not even json")
    deleted = api.request("DELETE", f"/v1/workspaces/{ws}", json="{}")

    assert created.status_code == 201
    assert fetched.status_code == 200
    assert fetched.json()["displayName"] == "Dev"
    assert listed.status_code == 200
    assert deleted.status_code == 200
    assert api.get("/v1/workspaces").json() == {"value": []}


def test_a_malformed_json_body_is_a_bad_request(api: httpx.Client) -> None:
    ws = new_workspace(api)
    posted = api.post("/v1/workspaces", content=b'{"displayName": ')
    patched = api.patch(f"/v1/workspaces/{ws}", content=b"{nope}")
    not_an_object = api.post(f"/v1/workspaces/{ws}/items", json=["Notebook"])

    for response in (posted, patched, not_an_object):
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["errorCode"] == "BadRequest" == response.headers["x-ms-public-api-error-code"]
        assert body["moreDetails"][0]["errorCode"] == "RequestBodyValidationFailed"
    assert [w["displayName"] for w in api.get("/v1/workspaces").json()["value"]] == ["Dev"]


def test_malformed_body_framing_is_a_json_bad_request_that_closes_the_connection(
    fresh_emulator: RunningEmulator,
) -> None:
    address = urlsplit(fresh_emulator.root)
    assert address.hostname is not None and address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=5) as raw:
        raw.sendall(b"POST /v1/workspaces HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n{}")
        with raw.makefile("rb") as stream:
            reply = stream.read()  # to EOF: the server closes the connection

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nRequestId: " in head
    assert json.loads(body)["errorCode"] == "BadRequest"


# --- workspaces, roles, folders, items (§7, §8) -------------------------------------------------------


def test_workspace_capacity_and_role_assignment_routes(api: httpx.Client) -> None:
    created = api.post("/v1/workspaces", json={"displayName": "Dev", "description": "d"})
    ws = created.json()["id"]
    capacity = api.get("/v1/capacities").json()["value"][0]
    unassigned = api.post(f"/v1/workspaces/{ws}/unassignFromCapacity")
    assigned = api.post(f"/v1/workspaces/{ws}/assignToCapacity", json={"capacityId": capacity["id"]})
    principal = str(uuid.uuid4())
    role = api.post(
        f"/v1/workspaces/{ws}/roleAssignments", json={"principal": {"id": principal, "type": "user"}, "role": "member"}
    )
    renamed = api.patch(f"/v1/workspaces/{ws}", json={"displayName": "Development"})

    assert created.headers["Location"] == f"{str(api.base_url).rstrip('/')}/v1/workspaces/{ws}"
    for empty in (unassigned, assigned):
        assert (empty.status_code, empty.content, empty.headers["Content-Type"]) == (
            202,
            b"",
            "application/octet-stream",
        )
        assert "Location" not in empty.headers
    assert api.get(f"/v1/workspaces/{ws}").json()["capacityId"] == capacity["id"]
    assert role.status_code == 201
    assert role.json() == {"id": principal, "principal": {"id": principal, "type": "User"}, "role": "Member"}
    assert role.headers["Location"].endswith(f"/v1/workspaces/{ws}/roleAssignments/{principal}")
    roles = api.get(f"/v1/workspaces/{ws}/roleAssignments").json()["value"]
    assert [r["role"] for r in roles] == ["Admin", "Member"]
    assert (renamed.json()["displayName"], renamed.json()["description"]) == ("Development", "d")


def test_folders_and_moving_items(api: httpx.Client) -> None:
    ws = new_workspace(api)
    outer = api.post(f"/v1/workspaces/{ws}/folders", json={"displayName": "Outer"}).json()
    inner = api.post(f"/v1/workspaces/{ws}/folders", json={"displayName": "Inner", "parentFolderId": outer["id"]})
    item = create_notebook(api, ws, "Load")
    moved = api.post(f"/v1/workspaces/{ws}/items/{item['id']}/move", json={"targetFolderId": outer["id"]})
    not_empty = api.delete(f"/v1/workspaces/{ws}/folders/{outer['id']}")
    renamed = api.patch(f"/v1/workspaces/{ws}/folders/{inner.json()['id']}", json={"displayName": "Deeper"})
    to_root = api.post(f"/v1/workspaces/{ws}/folders/{inner.json()['id']}/move", json={})

    assert inner.status_code == 201
    assert inner.json()["parentFolderId"] == outer["id"]
    assert moved.status_code == 200
    assert moved.json()["value"][0]["folderId"] == outer["id"]
    assert api.get(f"/v1/workspaces/{ws}/items/{item['id']}").json()["folderId"] == outer["id"]
    assert not_empty.status_code == 400
    assert not_empty.json()["errorCode"] == "FolderNotEmpty"
    assert renamed.json()["displayName"] == "Deeper"
    assert "parentFolderId" not in to_root.json()
    folders = api.get(f"/v1/workspaces/{ws}/folders/{outer['id']}")
    assert folders.json() == {"id": outer["id"], "displayName": "Outer", "workspaceId": ws}


def test_items_always_carry_a_description_and_can_be_renamed(api: httpx.Client) -> None:
    ws = new_workspace(api)
    item = create_notebook(api, ws, "Load")
    patched = api.patch(f"/v1/workspaces/{ws}/items/{item['id']}", json={"displayName": "Ingest", "type": "x"})
    filtered = api.get(f"/v1/workspaces/{ws}/items", params={"type": "Lakehouse"})

    assert item["description"] == ""
    assert unlabelled(patched.json()) == {**item, "displayName": "Ingest"}
    assert filtered.json() == {"value": []}


def test_typed_aliases_that_fabric_cicd_calls(api: httpx.Client) -> None:
    ws = new_workspace(api)
    items = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Spark", "type": "Environment"}).json()
    library = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Vars", "type": "VariableLibrary"}).json()
    notebook = create_notebook(api, ws, "Load")

    environments = api.get(f"/v1/workspaces/{ws}/environments/").json()["value"]
    published = api.post(f"/v1/workspaces/{ws}/environments/{items['id']}/staging/publish?beta=False", json="{}")
    body = {"properties": {"activeValueSetName": "Default value set"}}  # the only set of a library without any
    activated = api.patch(f"/v1/workspaces/{ws}/VariableLibraries/{library['id']}", json=body)
    wrong_type = api.patch(f"/v1/workspaces/{ws}/VariableLibraries/{notebook['id']}", json=body)
    not_a_lakehouse = api.get(f"/v1/workspaces/{ws}/lakehouses/{notebook['id']}")

    assert [(e["id"], e["properties"]["publishDetails"]["state"]) for e in environments] == [(items["id"], "Success")]
    assert published.status_code == 202  # a long-running publish: test_emulator_environment_publish.py
    expected = {"$type": "VariableLibraryProperties", "activeValueSetName": "Default value set"}
    assert unlabelled(activated.json()) == {**library, "properties": expected}
    assert (wrong_type.status_code, wrong_type.json()["errorCode"]) == (404, "ItemNotFound")
    assert (not_a_lakehouse.status_code, not_a_lakehouse.json()["errorCode"]) == (404, "ItemNotFound")


# --- long-running operations (§6) and definitions (§8.3) ---------------------------------------------


def test_a_lakehouse_create_is_201_and_a_notebook_create_with_a_definition_a_long_running_operation(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    ws = new_workspace(api)
    plain = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Bronze", "type": "Lakehouse"})
    accepted = api.post(
        f"/v1/workspaces/{ws}/items", json={"displayName": "Load", "type": "Notebook", "definition": NOTEBOOK}
    )

    assert plain.status_code == 201
    assert plain.headers["ETag"] == '""'
    assert accepted.status_code == 202
    assert (accepted.content, accepted.headers["Content-Type"]) == (b"", "application/octet-stream")
    operation_id = accepted.headers["x-ms-operation-id"]
    assert accepted.headers["Location"] == f"{fresh_emulator.url}/operations/{operation_id}"
    assert int(accepted.headers["Retry-After"]) >= 0

    first = api.get(accepted.headers["Location"])
    seen, done = poll(api, accepted.headers["Location"])
    state = done.json()

    assert first.json()["status"] in ("NotStarted", "Running")
    assert first.json()["percentComplete"] is None and first.json()["error"] is None
    assert first.headers["Location"] == accepted.headers["Location"]
    assert "Retry-After" in first.headers
    order = ["NotStarted", "Running", "Succeeded"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert (state["status"], state["percentComplete"], state["error"]) == ("Succeeded", 100, None)
    assert state["createdTimeUtc"] <= state["lastUpdatedTimeUtc"]
    assert done.headers["Location"] == f"{fresh_emulator.url}/operations/{operation_id}/result"
    assert "Retry-After" not in done.headers
    result = api.get(done.headers["Location"])
    assert result.status_code == 200
    # A Notebook's create result carries no sensitivityLabel (recorded only for SemanticModel and Report).
    assert result.json() == unlabelled(api.get(f"/v1/workspaces/{ws}/items/{result.json()['id']}").json())
    assert (result.json()["displayName"], result.json()["description"]) == ("Load", "")


def test_with_no_lro_share_a_create_with_definition_is_201(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, lro_share=0.0)
    ws = new_workspace(api)

    created = api.post(
        f"/v1/workspaces/{ws}/items", json={"displayName": "Load", "type": "Notebook", "definition": NOTEBOOK}
    )

    assert created.status_code == 201
    assert created.json()["displayName"] == "Load"


def test_an_update_definition_operation_has_no_result(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, lro_ms=100)
    ws = new_workspace(api)
    item = create_notebook(api, ws, "Load")
    platform = json.dumps({"metadata": {"type": "Notebook", "displayName": "Renamed"}, "config": {"logicalId": "x"}})
    new = definition(("notebook-content.py", b"print(2)\n"), (".platform", platform.encode()))

    accepted = api.post(
        f"/v1/workspaces/{ws}/items/{item['id']}/updateDefinition?updateMetadata=True", json={"definition": new}
    )
    _, done = poll(api, accepted.headers["Location"])
    no_result = api.get(f"/v1/operations/{accepted.headers['x-ms-operation-id']}/result")

    assert accepted.status_code == 202
    assert done.json()["status"] == "Succeeded"
    assert "Location" not in done.headers
    assert no_result.status_code == 400
    assert no_result.json()["errorCode"] == "OperationHasNoResult" == no_result.headers["x-ms-public-api-error-code"]
    assert api.get(f"/v1/workspaces/{ws}/items/{item['id']}").json()["displayName"] == "Renamed"
    unknown = api.get(f"/v1/operations/{uuid.uuid4()}")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "OperationNotFound")


def test_update_definition_answers_200_with_an_empty_body_when_synchronous(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, lro_share=0.0)
    ws = new_workspace(api)
    item = create_notebook(api, ws, "Load")

    updated = api.post(f"/v1/workspaces/{ws}/items/{item['id']}/updateDefinition", json={"definition": NOTEBOOK})

    assert (updated.status_code, updated.content, updated.headers["Content-Type"]) == (
        200,
        b"",
        "application/octet-stream",
    )


def test_get_definition_returns_a_binary_part_byte_for_byte(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, lro_share=0.0)
    binary = bytes(range(256)) + b"\x00\xff"
    ws = new_workspace(api)
    report = definition(("definition.pbir", b"{}"), ("report.json", b"{}"), ("StaticResources/logo.png", binary))
    item = api.post(
        f"/v1/workspaces/{ws}/items", json={"displayName": "Sales", "type": "Report", "definition": report}
    ).json()

    direct = api.post(f"/v1/workspaces/{ws}/items/{item['id']}/getDefinition", json="{}")
    configure(fresh_emulator, lro_share=1.0, lro_ms=50)
    accepted = api.post(f"/v1/workspaces/{ws}/items/{item['id']}/getDefinition")
    _, done = poll(api, accepted.headers["Location"])
    via_operation = api.get(done.headers["Location"])

    assert direct.status_code == 200
    parts = {p["path"]: p for p in direct.json()["definition"]["parts"]}
    assert set(parts) == {"definition.pbir", "report.json", "StaticResources/logo.png", ".platform"}
    assert {p["payloadType"] for p in parts.values()} == {"InlineBase64"}
    assert base64.b64decode(parts["StaticResources/logo.png"]["payload"]) == binary
    platform = json.loads(base64.b64decode(parts[".platform"]["payload"]))
    assert platform["metadata"]["displayName"] == "Sales"
    assert platform["config"]["logicalId"] == "00000000-0000-0000-0000-000000000000"
    assert accepted.status_code == 202
    assert via_operation.json() == direct.json()


def test_a_lakehouse_sql_endpoint_provisions_after_a_moment(api: httpx.Client) -> None:
    ws = new_workspace(api)
    lakehouse = api.post(f"/v1/workspaces/{ws}/items", json={"displayName": "Bronze", "type": "Lakehouse"}).json()

    early = api.get(f"/v1/workspaces/{ws}/lakehouses/{lakehouse['id']}").json()
    deadline = time.monotonic() + 10
    while (late := api.get(f"/v1/workspaces/{ws}/lakehouses/{lakehouse['id']}").json())["properties"][
        "sqlEndpointProperties"
    ]["provisioningStatus"] != "Success" and time.monotonic() < deadline:
        time.sleep(0.05)

    assert early["properties"]["sqlEndpointProperties"]["provisioningStatus"] == "InProgress"
    endpoint = late["properties"]["sqlEndpointProperties"]
    assert endpoint["provisioningStatus"] == "Success"
    assert uuid.UUID(endpoint["id"]) and endpoint["connectionString"]
    assert {k: late[k] for k in lakehouse} == lakehouse


# --- pagination (§5) ------------------------------------------------------------------------------------


def test_lists_page_with_continuation_tokens_absent_on_the_last_page(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, page_size=2)
    ws = new_workspace(api)
    created = [create_notebook(api, ws, f"n{i}")["id"] for i in range(5)]

    pages = [api.get(f"/v1/workspaces/{ws}/items", params={"type": "Notebook"}).json()]
    while "continuationUri" in pages[-1]:
        pages.append(api.get(pages[-1]["continuationUri"]).json())
    by_token = api.get(f"/v1/workspaces/{ws}/items", params={"continuationToken": pages[0]["continuationToken"]}).json()

    assert [len(p["value"]) for p in pages] == [2, 2, 1]
    assert [i["id"] for p in pages for i in p["value"]] == created
    assert "continuationToken" not in pages[-1]
    for page in pages[:-1]:
        uri = urlsplit(page["continuationUri"])
        assert f"{uri.scheme}://{uri.netloc}" == fresh_emulator.root
        assert parse_qs(uri.query) == {"type": ["Notebook"], "continuationToken": [page["continuationToken"]]}
        assert quote(page["continuationToken"], safe="") in page["continuationUri"]
    assert by_token["value"] == pages[1]["value"]


# --- throttling (§4) -------------------------------------------------------------------------------------


def test_throttling_is_per_principal_and_only_what_was_sent_after_reading_a_429_is_an_early_retry(
    fresh_emulator: RunningEmulator,
) -> None:
    configure(fresh_emulator, throttle_rpm=3)
    # Two tokens of the same service principal (same oid) share one quota.
    first, second = jwt(oid="sp-1", jti="a"), jwt(oid="sp-1", jti="b")
    with (
        client(fresh_emulator, first) as alice,
        client(fresh_emulator, second) as alice_again,
        client(fresh_emulator, "an-opaque-token") as bob,
    ):
        admitted = [alice.get("/v1/capacities").status_code, alice_again.get("/v1/capacities").status_code]
        admitted.append(alice.get("/v1/capacities").status_code)
        blocked = alice_again.get("/v1/capacities")
        # Right after, on another connection: refused, but it could have been on its way before the 429 was
        # read, so it is no early retry (early.py: within the reaction time, on another connection).
        elsewhere = alice.get("/v1/capacities")
        # On the connection the 429 came back on: only a client that had read the 429 can send this.
        same_connection = alice_again.get("/v1/capacities")
        other = bob.get("/v1/capacities")

    assert admitted == [200, 200, 200]
    assert blocked.status_code == 429
    assert blocked.json()["errorCode"] == "RequestBlocked" == blocked.headers["x-ms-public-api-error-code"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert re.fullmatch(
        r"Request is blocked by the upstream service until: \d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M \(UTC\)",
        blocked.json()["message"],
    )
    assert (elsewhere.status_code, same_connection.status_code, other.status_code) == (429, 429, 200)
    log = requests_log(fresh_emulator)
    assert (log["throttled"], log["blockedArrivals"], log["statuses"]) == (3, 2, {"200": 4, "429": 3})
    assert (log["earlyRetries"], log["earlyRetriesByPrincipal"]) == (1, {"sp-1": 1})
    assert log["byRoute"] == {"GET /v1/capacities": 7}


def test_a_request_on_a_new_connection_well_after_a_429_and_before_its_retry_after_is_an_early_retry(
    fresh_emulator: RunningEmulator,
) -> None:
    # A client whose workers share nothing, each on its own connection (fabric-cicd opens one per request),
    # sends during the block: past the reaction time (1 s) such a request is counted too.
    configure(fresh_emulator, throttle_rpm=1, throttle_window_s=30)
    with client(fresh_emulator, "a-token") as caller:
        caller.get("/v1/capacities")
        blocked = caller.get("/v1/capacities")
    deadline = time.monotonic() + 10  # the block lasts about 30 s
    refused: list[int] = []
    while requests_log(fresh_emulator)["earlyRetries"] == 0 and time.monotonic() < deadline:
        with client(fresh_emulator, "a-token") as fresh_connection:
            refused.append(fresh_connection.get("/v1/capacities").status_code)
        time.sleep(0.1)  # paces the polling; the outcome is read from the log

    assert int(blocked.headers["Retry-After"]) > 10
    log = requests_log(fresh_emulator)
    assert set(refused) == {429}
    assert log["earlyRetries"] == 1
    assert log["blockedArrivals"] == len(refused) > 1  # the first ones came within the reaction time


# --- fault injection -------------------------------------------------------------------------------------


def test_a_500_fault_is_an_unknown_error(fresh_emulator: RunningEmulator, api: httpx.Client) -> None:
    configure(fresh_emulator, fault_rate=1.0, fault_kinds=["500"], seed=3)

    response = api.get("/v1/workspaces")

    assert response.status_code == 500
    assert response.json()["errorCode"] == "UnknownError" == response.headers["x-ms-public-api-error-code"]
    assert requests_log(fresh_emulator)["faults"] == {"500": 1}


def test_a_token_expired_fault_is_a_401_with_the_header(fresh_emulator: RunningEmulator) -> None:
    configure(fresh_emulator, fault_rate=1.0, fault_kinds="token-expired", seed=3)

    with client(fresh_emulator, token=None) as anonymous:
        response = anonymous.post("/v1/workspaces", json={"displayName": "Dev"})

    assert response.status_code == 401
    assert response.headers["x-ms-public-api-error-code"] == "TokenExpired" == response.json()["errorCode"]
    assert snapshot(fresh_emulator)["workspaces"] == []  # refused before it reached the tenant


def test_a_token_just_presented_is_never_called_expired_and_one_in_use_for_a_while_may_be(
    fresh_emulator: RunningEmulator,
) -> None:
    # A client told its token expired fetches a new one and repeats once: the new one must pass.
    configure(fresh_emulator, fault_rate=1.0, fault_kinds="token-expired", lro_share=0.0)
    with client(fresh_emulator, f"fresh-{uuid.uuid4()}") as fresh:
        spared = fresh.post("/v1/workspaces", json={"displayName": "Dev"})
        deadline = time.monotonic() + 10
        later = spared
        while later.status_code != 401 and time.monotonic() < deadline:  # about a second
            time.sleep(0.1)
            later = fresh.get("/v1/capacities")

    assert spared.status_code == 201
    assert later.status_code == 401
    assert requests_log(fresh_emulator)["faults"] == {"token-expired": 1}


def test_a_reset_fault_drops_the_connection_without_a_response(fresh_emulator: RunningEmulator) -> None:
    configure(fresh_emulator, fault_rate=1.0, fault_kinds=["reset"], seed=3)

    with client(fresh_emulator) as http, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post("/v1/workspaces", json={"displayName": "Dev"})

    log = requests_log(fresh_emulator)
    assert (log["total"], log["statuses"], log["faults"]) == (1, {}, {"reset": 1})
    assert snapshot(fresh_emulator)["workspaces"] == []


def test_a_failed_operation_fault_fails_the_operation_and_changes_nothing(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    ws = new_workspace(api)
    configure(fresh_emulator, fault_rate=1.0, fault_kinds=["failed-operation"], seed=3, lro_ms=50)

    synchronous = api.get(f"/v1/workspaces/{ws}")  # cannot become an operation: served normally
    accepted = api.post(
        f"/v1/workspaces/{ws}/items", json={"displayName": "Load", "type": "Notebook", "definition": NOTEBOOK}
    )
    seen, done = poll(api, accepted.headers["Location"])

    assert synchronous.status_code == 200
    assert accepted.status_code == 202
    state = done.json()
    assert (seen[-1], state["status"], state["percentComplete"]) == ("Failed", "Failed", None)
    assert state["error"]["errorCode"] and state["error"]["message"]
    assert "Location" not in done.headers
    assert api.get(f"/v1/workspaces/{ws}/items").json() == {"value": []}
    assert requests_log(fresh_emulator)["faults"] == {"failed-operation": 1}


def test_faults_follow_the_seed_and_never_hit_the_admin_surface(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, fault_rate=0.5, fault_kinds=["500", "token-expired"], seed=11)

    def statuses() -> list[int]:
        # Anonymous: a token's first second is spared the token-expired fault, which would tie the
        # sequence to the clock.
        with client(fresh_emulator, token=None) as anonymous:
            return [anonymous.get("/v1/capacities").status_code for _ in range(24)]

    first = statuses()
    admin_while_faulty = [requests_log(fresh_emulator)["total"], len(snapshot(fresh_emulator)["capacities"])]
    reset(fresh_emulator)  # restarts the dice from the seed
    second = statuses()

    assert first == second
    assert {200, 500, 401} <= set(first)
    assert admin_while_faulty == [24, 1]


def test_latency_is_added_to_api_responses_only(tmp_path: Path) -> None:
    # A latency of a minute, against timeouts far from it on both sides: the API call cannot be answered
    # within its 2 s, the admin call is answered within its 30 s. Its own server: the sleeping request
    # must not be counted in another test's log.
    with running_emulator("--latency-ms", "60000", tmp_path=tmp_path) as slow, client(slow) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get("/v1/capacities", timeout=2)
        admin = httpx.get(f"{slow.admin}/requests", timeout=30, trust_env=False)

    assert admin.status_code == 200


# --- name reservation (§3.2 ItemDisplayNameNotAvailableYet, status UNCONFIRMED) ---------------------------


def test_a_deleted_name_stays_reserved_with_a_configurable_status(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    ws = new_workspace(api)
    item = create_notebook(api, ws, "Sales")
    api.delete(f"/v1/workspaces/{ws}/items/{item['id']}")
    body = {"displayName": "Sales", "type": "Notebook"}

    default = api.post(f"/v1/workspaces/{ws}/items", json=body)
    configure(fresh_emulator, reserved_name_status=400)
    remapped = api.post(f"/v1/workspaces/{ws}/items", json=body)

    assert default.status_code == 409
    assert remapped.status_code == 400
    for response in (default, remapped):
        assert response.headers["x-ms-public-api-error-code"] == "ItemDisplayNameNotAvailableYet"
        assert response.json()["isRetriable"] is True


# --- admin surface -------------------------------------------------------------------------------------


def test_reset_empties_the_tenant_and_the_log_but_keeps_the_knobs(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    configure(fresh_emulator, page_size=3, throttle_rpm=100)
    ws = new_workspace(api, "Dev")
    item = create_notebook(api, ws, "Load")
    with_ids = snapshot(fresh_emulator)
    without_ids = snapshot(fresh_emulator, ids=False)
    knobs = httpx.get(fresh_emulator.admin + "/config", trust_env=False).json()

    reset(fresh_emulator)

    assert [w["id"] for w in with_ids["workspaces"]] == [ws]
    assert [i["id"] for i in with_ids["workspaces"][0]["items"]] == [item["id"]]
    assert "id" not in without_ids["workspaces"][0]
    assert "id" not in without_ids["workspaces"][0]["items"][0]
    assert without_ids["workspaces"][0]["items"][0]["displayName"] == "Load"
    assert snapshot(fresh_emulator)["workspaces"] == []
    assert requests_log(fresh_emulator) == {
        "total": 0, "byRoute": {}, "statuses": {}, "earlyRetries": 0, "earlyRetriesByPrincipal": {},
        "blockedArrivals": 0, "throttled": 0, "earlyPolls": 0, "faults": {},
    }  # fmt: skip
    assert httpx.get(fresh_emulator.admin + "/config", trust_env=False).json() == knobs
    assert (knobs["page_size"], knobs["throttle_rpm"]) == (3, 100)


def test_the_request_log_counts_by_route_template_and_status(
    fresh_emulator: RunningEmulator, api: httpx.Client
) -> None:
    ws = new_workspace(api)
    api.get(f"/v1/workspaces/{ws}/items")
    api.get(f"/v1/workspaces/{ws}/items")
    api.get(f"/v1/workspaces/{uuid.uuid4()}/items")
    api.get("/v1/nowhere")

    log = requests_log(fresh_emulator)

    assert log["byRoute"] == {
        "POST /v1/workspaces": 1,
        "GET /v1/workspaces/{workspaceId}/items": 3,
        "GET (no route)": 1,
    }
    assert (log["total"], log["statuses"]) == (5, {"201": 1, "200": 2, "404": 2})


def test_config_refuses_unknown_or_invalid_knobs(fresh_emulator: RunningEmulator) -> None:
    bad_knobs = (
        {"fault_rate": 2},
        {"port": 1},
        {"fault_kinds": ["boom"]},
        {"fault_weights": {"boom": 1}},
        {"page_size": "2"},
        {"lro_ms": -1},
    )
    for bad in bad_knobs:
        response = httpx.post(fresh_emulator.admin + "/config", json=bad, trust_env=False)
        assert response.status_code == 400, bad
        assert response.json()["errorCode"] == "BadRequest"
    assert configure(fresh_emulator)["fault_rate"] == 0.0


# --- the process: restart, signals, TLS -----------------------------------------------------------------


def test_a_state_dir_survives_a_restart_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_emulator("--state-dir", str(state), tmp_path=tmp_path) as first:
        with client(first) as http:
            ws = new_workspace(http, "Kept")
            create_notebook(http, ws, "Load")
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(10) == 0

    with running_emulator("--state-dir", str(state), tmp_path=tmp_path) as second, client(second) as http:
        items = http.get(f"/v1/workspaces/{ws}/items").json()["value"]
        second.process.send_signal(signal.SIGINT)
        assert second.process.wait(10) == 0

    assert (state / "tenant.db").is_file()
    assert [i["displayName"] for i in items] == ["Load"]


def test_tls_serves_https_with_https_locations(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    tls_args = ("--tls-cert", str(cert), "--tls-key", str(key), "--lro-ms", "0")
    with (
        running_emulator(*tls_args, tmp_path=tmp_path) as tls,
        client(tls, verify=ssl.create_default_context(cafile=cert)) as http,
    ):
        ws = new_workspace(http)
        accepted = http.post(
            f"/v1/workspaces/{ws}/items", json={"displayName": "N", "type": "Notebook", "definition": NOTEBOOK}
        )
        done = http.get(accepted.headers["Location"])

    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/v1", tls.url)
    assert accepted.headers["Location"].startswith(tls.url + "/operations/")
    assert done.json()["status"] == "Succeeded"
    assert done.headers["Location"].startswith("https://")


def test_the_throttling_window_can_be_shortened_and_retry_after_follows_it(fresh_emulator: RunningEmulator) -> None:
    configure(fresh_emulator, throttle_rpm=1, throttle_window_s=2)
    with client(fresh_emulator, "a-token") as caller:
        admitted = caller.get("/v1/capacities")
        blocked = caller.get("/v1/capacities")
        time.sleep(int(blocked.headers["Retry-After"]))
        after_the_wait = caller.get("/v1/capacities")

    assert (admitted.status_code, blocked.status_code, after_the_wait.status_code) == (200, 429, 200)
    # The window is 2 s, so the wait it asks for is at most 2 s (whole seconds, at least 1).
    assert 1 <= int(blocked.headers["Retry-After"]) <= 2
    assert requests_log(fresh_emulator)["earlyRetries"] == 0
