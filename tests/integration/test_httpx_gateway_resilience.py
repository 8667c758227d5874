"""`HttpxFabricGateway` against a misbehaving emulator: throttling, injected faults, paging, slow and
failing long-running operations, and the circuit breaker.

Each test sets the emulator's knobs with `configure(...)` (after `fresh_emulator` reset it) and checks
the end state (what the tenant holds, what the emulator's request log counted) against what the REST
reference and the gateway's rules say must happen. Faults are seeded; the assertions hold for any
seed: a call fails only if more faults hit it in a row than it may retry, which the chosen rates
make vanishingly rare.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from emulator_process import RunningEmulator, configure, requests_log, snapshot

from fabctl.adapters.fabric.http.errors import (
    FabricCircuitOpen,
    FabricNotFound,
    FabricOperationFailed,
    FabricOperationTimeout,
    FabricServerError,
)
from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.application.errors import ItemNotFound
from fabctl.domain.definition import DefinitionPart, ItemDefinition

UNKNOWN_ID = "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"
ITEMS_ROUTE = "/v1/workspaces/{workspaceId}/items"


def notebook(text: str) -> ItemDefinition:
    return ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", text)])


def gateway_for(emulator: RunningEmulator, **options: Any) -> HttpxFabricGateway:
    """Retries fast, polls fast, and a circuit breaker that only opens where a test wants it to."""
    settings: dict[str, Any] = {
        "max_retries": 6,
        "retry_backoff_s": 0.005,
        "retry_backoff_max_s": 0.05,
        "lro_poll_interval_s": 0.01,
        "circuit_failure_threshold": 100,
        **options,
    }
    return HttpxFabricGateway(emulator.url, **settings)


@pytest.fixture
def fresh_emulator(fresh_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """The session's emulator, reset; its knobs are put back afterwards, as other modules expect them."""
    knobs = configure(fresh_emulator)  # no changes: just the current values
    yield fresh_emulator
    configure(fresh_emulator, **knobs)


@pytest.fixture
def gateway(fresh_emulator: RunningEmulator) -> Iterator[HttpxFabricGateway]:
    configure(fresh_emulator, lro_ms=0)  # operations stay long-running (202 + polling), but take no time
    with gateway_for(fresh_emulator) as created:
        yield created


class CountingCredential:
    """An azure-core TokenCredential (structurally): a new token per call, valid for an hour."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, enable_cae: bool = False, **kw: Any
    ) -> AccessToken:
        assert scopes == ("https://api.fabric.microsoft.com/.default",)
        self.issued.append(f"fake-token-number-{len(self.issued) + 1}")
        return AccessToken(self.issued[-1], int(time.time()) + 3600)


# --- throttling -----------------------------------------------------------------------------------


def test_concurrent_workers_sharing_one_gateway_all_succeed_under_throttling_without_retrying_early(
    fresh_emulator: RunningEmulator,
) -> None:
    # The client-side limit (600/min, one request every 0.1 s) is far above the emulator's 4 per
    # window (3 s here, a minute on Fabric), so 429s do happen; the shared gate must then hold every
    # worker for Retry-After.
    configure(fresh_emulator, lro_ms=0)
    with gateway_for(fresh_emulator, rate_limit_rpm=600) as gateway:
        workspace = gateway.create_workspace("Throttled")
        created = gateway.create_item(workspace.id, "Notebook", "Load", definition=notebook("1\n"))
        configure(fresh_emulator, throttle_rpm=4, throttle_window_s=3)

        with ThreadPoolExecutor(max_workers=3) as workers:
            listings = list(workers.map(lambda _: gateway.list_items(workspace.id), range(6)))

    assert listings == [[created]] * 6
    log = requests_log(fresh_emulator)
    assert log["throttled"] >= 1
    assert log["earlyRetries"] == 0
    assert log["byRoute"][f"GET {ITEMS_ROUTE}"] == 6 + log["throttled"]


# --- injected faults ------------------------------------------------------------------------------


def test_500s_are_retried_until_every_call_succeeds(
    fresh_emulator: RunningEmulator, gateway: HttpxFabricGateway
) -> None:
    configure(fresh_emulator, fault_rate=0.3, fault_kinds=["500"], seed=11)

    workspace = gateway.create_workspace("Flaky")
    created = [
        gateway.create_item(workspace.id, "Notebook", f"Notebook {n}", definition=notebook(f"{n}\n")) for n in range(5)
    ]
    definitions = [gateway.get_definition(workspace.id, item.id) for item in created]

    assert gateway.list_items(workspace.id) == created
    assert [d.part("notebook-content.py") for d in definitions] == [
        DefinitionPart.from_text("notebook-content.py", f"{n}\n") for n in range(5)
    ]
    assert requests_log(fresh_emulator)["statuses"].get("500", 0) > 0


def test_creates_under_connection_resets_look_before_repeating_and_never_duplicate(
    fresh_emulator: RunningEmulator, gateway: HttpxFabricGateway
) -> None:
    configure(fresh_emulator, fault_rate=0.3, fault_kinds=["reset"], seed=5, lro_share=0.0)
    names = [f"Notebook {n}" for n in range(8)]

    workspace = gateway.create_workspace("Resets")
    folder = gateway.create_folder(workspace.id, "Ingest")
    created = [gateway.create_item(workspace.id, "Notebook", name, definition=notebook("x\n")) for name in names]

    configure(fresh_emulator, fault_rate=0.0)
    log = requests_log(fresh_emulator)
    assert log["faults"].get("reset", 0) > 0
    assert sorted(i.name for i in gateway.list_items(workspace.id)) == names
    assert {i.id for i in created} == {i.id for i in gateway.list_items(workspace.id)}
    assert gateway.list_folders(workspace.id) == [folder]
    assert [w["displayName"] for w in snapshot(fresh_emulator)["workspaces"]] == ["Resets"]
    # Every POST beyond the eight that succeeded was dropped, and each drop was followed by a lookup.
    dropped_posts = log["byRoute"][f"POST {ITEMS_ROUTE}"] - len(names)
    assert log["byRoute"].get(f"GET {ITEMS_ROUTE}", 0) >= dropped_posts


def test_an_expired_token_is_refreshed_and_the_call_repeated_once(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The emulator spares a token in its first second (a fresh token is not expired), so the calls go on
    # until it has expired a few; each is answered by one new token and one repeat of the call.
    configure(fresh_emulator, fault_rate=0.3, fault_kinds=["token-expired"], seed=3, lro_ms=0)
    credential = CountingCredential()
    trace = tmp_path / "trace.jsonl"

    with gateway_for(fresh_emulator, credential=credential, trace_path=trace) as gateway:
        workspace = gateway.create_workspace("Tokens")
        created = 0
        deadline = time.monotonic() + 60
        while requests_log(fresh_emulator)["statuses"].get("401", 0) < 3 and time.monotonic() < deadline:
            gateway.create_item(workspace.id, "Notebook", f"N{created}", definition=notebook("x\n"))
            created += 1
        listed = gateway.list_items(workspace.id)

    expired = requests_log(fresh_emulator)["statuses"].get("401", 0)
    assert len(listed) == created
    assert expired >= 3
    assert len(credential.issued) == 1 + expired  # one token to start, one more per TokenExpired
    text = trace.read_text()
    assert not any(token in text for token in credential.issued)
    assert text.count('"status": 401') == expired


def test_a_failed_operation_raises_with_the_operations_own_error_code(
    fresh_emulator: RunningEmulator, gateway: HttpxFabricGateway
) -> None:
    workspace = gateway.create_workspace("Failing")
    configure(fresh_emulator, fault_rate=1.0, fault_kinds=["failed-operation"], lro_share=1.0, lro_ms=0)

    with pytest.raises(FabricOperationFailed) as raised:
        gateway.create_item(workspace.id, "Notebook", "Never", definition=notebook("x\n"))

    with httpx.Client(timeout=10) as plain:
        state = plain.get(f"{fresh_emulator.url}/operations/{raised.value.operation_id}").json()
    assert state["status"] == "Failed"
    assert raised.value.error_code == state["error"]["errorCode"]
    assert raised.value.message == state["error"]["message"]
    assert gateway.list_items(workspace.id) == []


# --- paging and long-running operations -----------------------------------------------------------


def test_lists_follow_continuations_over_small_pages(
    fresh_emulator: RunningEmulator, gateway: HttpxFabricGateway
) -> None:
    workspace = gateway.create_workspace("Paged")
    created = [gateway.create_item(workspace.id, "Lakehouse", f"L{n}") for n in range(5)]
    folders = [gateway.create_folder(workspace.id, f"F{n}") for n in range(3)]
    configure(fresh_emulator, page_size=2)
    before = requests_log(fresh_emulator)["byRoute"].get(f"GET {ITEMS_ROUTE}", 0)

    assert gateway.list_items(workspace.id) == created
    assert requests_log(fresh_emulator)["byRoute"][f"GET {ITEMS_ROUTE}"] - before == math.ceil(5 / 2)
    assert gateway.list_items(workspace.id, "Lakehouse") == created
    assert gateway.list_folders(workspace.id) == folders


def test_slow_operations_are_polled_to_completion(fresh_emulator: RunningEmulator, gateway: HttpxFabricGateway) -> None:
    workspace = gateway.create_workspace("Slow")
    configure(fresh_emulator, lro_ms=800, lro_share=1.0)

    item = gateway.create_item(workspace.id, "Notebook", "Slow", definition=notebook("slow\n"))
    gateway.update_definition(workspace.id, item.id, notebook("slower\n"))
    stored = gateway.get_definition(workspace.id, item.id)

    assert stored.part("notebook-content.py") == DefinitionPart.from_text("notebook-content.py", "slower\n")
    assert requests_log(fresh_emulator)["byRoute"]["GET /v1/operations/{operationId}"] >= 3


def test_an_operation_outliving_its_deadline_is_a_clear_timeout(fresh_emulator: RunningEmulator) -> None:
    configure(fresh_emulator, lro_share=0.0)
    with gateway_for(fresh_emulator, lro_deadline_s=0.5) as gateway:
        workspace = gateway.create_workspace("Deadline")
        notebook_item = gateway.create_item(workspace.id, "Notebook", "Late", definition=notebook("x\n"))
        configure(fresh_emulator, lro_ms=120_000, lro_share=1.0)

        with pytest.raises(FabricOperationTimeout) as raised:
            gateway.get_definition(workspace.id, notebook_item.id)

    # The client gave up while the operation was still going (it lasts two minutes), not after it ended.
    with httpx.Client(timeout=10, trust_env=False) as plain:
        state = plain.get(f"{fresh_emulator.url}/operations/{raised.value.operation_id}").json()
    assert state["status"] in ("NotStarted", "Running")
    assert raised.value.operation_id
    assert raised.value.last_status in ("NotStarted", "Running")
    assert "deadline" in str(raised.value)
    assert raised.value.operation_id in str(raised.value)


# --- errors and the circuit breaker ---------------------------------------------------------------


def test_a_missing_item_is_not_found_with_the_call_and_request_id_in_the_message(gateway: HttpxFabricGateway) -> None:
    workspace = gateway.create_workspace("Lookups")

    with pytest.raises(FabricNotFound) as raised:
        gateway.get_item(workspace.id, UNKNOWN_ID)

    error = raised.value
    assert isinstance(error, ItemNotFound)
    assert (error.status, error.error_code) == (404, "ItemNotFound")
    assert error.request_id
    for part in ("ItemNotFound", error.request_id, "GET", f"{gateway.base_url}/workspaces/{workspace.id}/items/"):
        assert part in str(error)


def test_the_circuit_opens_under_constant_500s_fails_fast_and_closes_once_they_stop(
    fresh_emulator: RunningEmulator,
) -> None:
    with gateway_for(fresh_emulator, max_retries=1, circuit_failure_threshold=3, circuit_cooldown_s=0.5) as gateway:
        workspace = gateway.create_workspace("Breaker")
        configure(fresh_emulator, fault_rate=1.0, fault_kinds=["500"])

        with pytest.raises(FabricServerError):
            gateway.get_workspace(workspace.id)  # two failures
        with pytest.raises(FabricCircuitOpen):
            gateway.get_workspace(workspace.id)  # the third opens the circuit; the retry is refused
        sent_while_failing = requests_log(fresh_emulator)["total"]
        with pytest.raises(FabricCircuitOpen):
            gateway.get_workspace(workspace.id)  # fails fast: nothing sent
        assert requests_log(fresh_emulator)["total"] == sent_while_failing

        configure(fresh_emulator, fault_rate=0.0)
        time.sleep(0.6)  # the cool-down: the next call is the probe
        assert gateway.get_workspace(workspace.id) == workspace
        assert gateway.find_workspace("Breaker") == workspace

    assert requests_log(fresh_emulator)["statuses"]["500"] == 3
