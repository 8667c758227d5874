"""The gateway port's shortcut calls, one contract run against the in-process gateway and against
`HttpxFabricGateway` over the emulator (paged lists included), so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_process import RunningEmulator, configure, reset, running_emulator

from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.application.errors import GatewayError
from fabctl.application.ports import FabricGateway
from fabctl.domain.shortcuts import Shortcut

MISSING = "11111111-2222-3333-4444-555555555555"


class ShortcutGatewayContract:
    @pytest.fixture
    def lakehouses(self, gateway: FabricGateway) -> tuple[str, str, str]:
        ws = gateway.create_workspace("Shortcuts").id
        return ws, gateway.create_item(ws, "Lakehouse", "Bronze").id, gateway.create_item(ws, "Lakehouse", "Silver").id

    def test_put_lists_overwrites_and_deletes(self, gateway: FabricGateway, lakehouses: tuple[str, str, str]) -> None:
        ws, bronze, silver = lakehouses
        assert gateway.list_shortcuts(ws, silver) == []
        names = ("c", "a", "b")
        for name in names:
            target = {"oneLake": {"workspaceId": ws, "itemId": bronze, "path": f"Files/{name}"}}
            stored = gateway.put_shortcut(ws, silver, Shortcut("Files/raw", name, target))
            assert stored == Shortcut("Files/raw", name, target)
        moved = Shortcut("Files/raw", "a", {"oneLake": {"workspaceId": ws, "itemId": bronze, "path": "Tables/t"}})
        gateway.put_shortcut(ws, silver, moved)  # the same path and name: overwritten, not refused
        listed = gateway.list_shortcuts(ws, silver)
        assert [s.address for s in listed] == ["Files/raw/a", "Files/raw/b", "Files/raw/c"]
        assert listed[0] == moved
        gateway.delete_shortcut(ws, silver, "Files/raw", "b")
        gateway.delete_shortcut(ws, silver, "Files/raw", "b")  # gone already: still deleted
        assert [s.name for s in gateway.list_shortcuts(ws, silver)] == ["a", "c"]

    def test_an_unreachable_target_is_refused_naming_it(
        self, gateway: FabricGateway, lakehouses: tuple[str, str, str]
    ) -> None:
        ws, _, silver = lakehouses
        target = {"oneLake": {"workspaceId": ws, "itemId": MISSING, "path": "Tables/t"}}
        with pytest.raises(GatewayError) as raised:
            gateway.put_shortcut(ws, silver, Shortcut("Tables", "t", target))
        assert raised.value.status == 400 and MISSING in str(raised.value)
        assert gateway.list_shortcuts(ws, silver) == []


class TestLocalShortcuts(ShortcutGatewayContract):
    @pytest.fixture
    def gateway(self) -> Iterator[FabricGateway]:
        with FabricTenant.in_memory() as tenant:
            yield LocalFabricGateway(tenant)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


class TestHttpxShortcutsAgainstTheEmulator(ShortcutGatewayContract):
    @pytest.fixture
    def gateway(self, emulator: RunningEmulator) -> Iterator[FabricGateway]:
        configure(emulator, lro_ms=0, lro_share=0.0, fault_rate=0.0, throttle_rpm=0, page_size=2)  # lists span pages
        reset(emulator)
        with HttpxFabricGateway(emulator.url, max_retries=2, retry_backoff_s=0.01) as gateway:
            yield gateway
