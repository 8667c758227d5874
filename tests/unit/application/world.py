"""A small source workspace, and an application wired by bootstrap() with in-memory adapters."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.source.memory import InMemorySourceReader
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.adapters.system.machine import InMemoryMachine
from fabctl.application.errors import GatewayError
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, PromotionPolicy, ReleaseConfig
from fabctl.domain.items import ZERO_GUID, Item, ItemKey, LogicalId
from fabctl.domain.parameters import FindReplace, ParameterRules
from fabctl.domain.workspace import Workspace
from fabctl.entrypoints.bootstrap import App, bootstrap
from fabctl.entrypoints.settings import Settings

SOURCE = "src/sales"
CONFIG = f"{SOURCE}/workspace-config.yaml"
PARAMETERS = f"{SOURCE}/parameter.yml"
LAKEHOUSE_LID = "11111111-1111-4111-8111-111111111111"
NOTEBOOK_LID = "22222222-2222-4222-8222-222222222222"
MODEL_LID = "33333333-3333-4333-8333-333333333333"
REPORT_LID = "44444444-4444-4444-8444-444444444444"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00binary\xff"


def notebook_text(extra: str = "") -> str:
    return (
        '# META {"dependencies": {"lakehouse": {'
        f'"default_lakehouse": "{LAKEHOUSE_LID}", "default_lakehouse_workspace_id": "{ZERO_GUID}"'
        "}}}\n"
        "path = 'abfss://dev@onelake/sales'\n" + extra
    )


def source_items(notebook_extra: str = "") -> list[Item]:
    pbir = {"version": "4.0", "datasetReference": {"byPath": {"path": "../Sales Model.SemanticModel"}}}
    return [
        Item(ItemKey("Lakehouse", "Sales"), LogicalId(LAKEHOUSE_LID),
             definition=ItemDefinition.of([DefinitionPart.from_text("lakehouse.metadata.json", "{}")])),
        Item(ItemKey("Notebook", "Load Sales"), LogicalId(NOTEBOOK_LID), folder="Notebooks",
             definition=ItemDefinition.of(
                 [DefinitionPart.from_text("notebook-content.py", notebook_text(notebook_extra))]),
             source_path="Notebooks/Load Sales.Notebook"),
        Item(ItemKey("SemanticModel", "Sales Model"), LogicalId(MODEL_LID),
             definition=ItemDefinition.of([DefinitionPart.from_text("definition.pbism", "{}"),
                                           DefinitionPart.from_text("definition/model.tmdl", "model Model")])),
        Item(ItemKey("Report", "Sales Report"), LogicalId(REPORT_LID),
             definition=ItemDefinition.of([DefinitionPart.from_text("definition.pbir", json.dumps(pbir)),
                                           DefinitionPart("StaticResources/logo.png", PNG)])),
    ]  # fmt: skip


def release_config() -> ReleaseConfig:
    return ReleaseConfig(
        (
            Environment("dev", workspace_name="Sales (dev)"),
            Environment("test", workspace_name="Sales (test)", promotion=PromotionPolicy(1)),
            Environment(
                "prod", workspace_name="Sales (prod)", protected=True,
                promotion=PromotionPolicy(1, {"SemanticModel": 2}),
            ),
        ),
        source=CONFIG,
    )  # fmt: skip


def parameter_rules() -> ParameterRules:
    rule = FindReplace("abfss://dev@onelake", {"test": "abfss://test@onelake", "prod": "abfss://prod@onelake"},
                       origin=f"{PARAMETERS}: find_replace[0]")  # fmt: skip
    return ParameterRules((rule,), source=PARAMETERS)


@dataclass
class World:
    app: App
    reader: InMemorySourceReader
    clock: FixedClock
    gateway: FailingGateway

    def set_source(self, items: list[Item]) -> None:
        self.reader.workspaces[SOURCE] = Workspace.of("sales", items)

    def workspace_items(self, name: str) -> dict[str, str]:
        """Name.Type -> id of every item in the named workspace."""
        ws = self.app.gateway.find_workspace(name)
        assert ws is not None, f"workspace {name} does not exist"
        return {str(i.key): i.id for i in self.app.gateway.list_items(ws.id)}

    def definition_text(self, workspace: str, key: str, part: str) -> str:
        ws = self.app.gateway.find_workspace(workspace)
        assert ws is not None
        item_id = self.workspace_items(workspace)[key]
        found = self.app.gateway.get_definition(ws.id, item_id).part(part)
        assert found is not None and found.text is not None
        return found.text

    def event_types(self) -> list[str]:
        return [m.type for m in self.app.publisher.published]  # type: ignore[attr-defined]


class FailingGateway:
    """The local gateway, except that writes to the item named `fail_on` fail like a 503 would.

    It also observes: writes in flight at once (and the most seen), an ordered log of when each
    write started and ended, definition reads, and an optional delay per item name.
    """

    def __init__(self, inner: LocalFabricGateway) -> None:
        self._inner = inner
        self.fail_on: str | None = None
        self.delays: dict[str, float] = {}
        self.log: list[tuple[str, str]] = []  # ("start" | "end" | "fail", item name), in order
        self.definition_reads = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _check(self, name: str) -> None:
        if name == self.fail_on:
            with self._lock:
                self.log.append(("fail", name))
            raise GatewayError("The service is unavailable", error_code="ServiceUnavailable", status=503)

    def _name_of(self, workspace_id: str, item_id: str) -> str:
        return next((i.name for i in self._inner.list_items(workspace_id) if i.id == item_id), "")

    @contextmanager
    def _write(self, name: str) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.log.append(("start", name))
        try:
            time.sleep(self.delays.get(name, 0.0))
            self._check(name)
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                self.log.append(("end", name))

    def create_item(self, workspace_id: str, item_type: str, name: str, **kwargs: Any) -> Any:
        with self._write(name):
            return self._inner.create_item(workspace_id, item_type, name, **kwargs)

    def update_definition(self, workspace_id: str, item_id: str, definition: ItemDefinition) -> None:
        with self._write(self._name_of(workspace_id, item_id)):
            self._inner.update_definition(workspace_id, item_id, definition)

    def move_item(self, workspace_id: str, item_id: str, folder_id: str | None = None) -> Any:
        with self._write(self._name_of(workspace_id, item_id)):
            return self._inner.move_item(workspace_id, item_id, folder_id)

    def delete_item(self, workspace_id: str, item_id: str) -> None:
        with self._write(self._name_of(workspace_id, item_id)):
            self._inner.delete_item(workspace_id, item_id)

    def create_folder(self, workspace_id: str, name: str, parent_id: str | None = None) -> Any:
        self._check(name)
        return self._inner.create_folder(workspace_id, name, parent_id)

    def get_definition(self, workspace_id: str, item_id: str) -> ItemDefinition:
        with self._lock:
            self.definition_reads += 1
        return self._inner.get_definition(workspace_id, item_id)


def make_world() -> World:
    reader = InMemorySourceReader(
        workspaces={SOURCE: Workspace.of("sales", source_items())},
        configs={CONFIG: release_config()},
        parameters={PARAMETERS: parameter_rules()},
    )
    clock = FixedClock()
    gateway = FailingGateway(LocalFabricGateway(FabricTenant.in_memory()))
    app = bootstrap(
        Settings(state_store="memory", fabric="memory", user="tester"),
        reader=reader,
        clock=clock,
        ids=SequentialIdGenerator("id"),
        gateway=gateway,
        machine=InMemoryMachine(),
    )
    return World(app, reader, clock, gateway)
