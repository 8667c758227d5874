"""A small source workspace, and an application wired by bootstrap() with in-memory adapters."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.source.memory import InMemorySourceReader
from fabctl.adapters.system.clock import FixedClock
from fabctl.adapters.system.ids import SequentialIdGenerator
from fabctl.adapters.system.machine import InMemoryMachine
from fabctl.adapters.telemetry.progress import RecordingProgress
from fabctl.application.deployment.results import ItemOutcome
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
    progress: WatchedProgress

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


# How long a held write waits for what it was held for: reached only when the code under test is
# wrong (what the write waits for never happens), never what decides a passing test.
DEADLINE_SECONDS = 10.0
Entry = tuple[str, ...]


class Happenings:
    """What the gateway and the progress saw, in order, and a way to wait until some of it happened.

    Entries: ("start" | "end" | "fail", item name) from the gateway, ("reported", "Name.Type", status)
    from the progress.
    """

    def __init__(self) -> None:
        self.log: list[Entry] = []
        self._changed = threading.Condition()

    def add(self, entry: Entry) -> None:
        with self._changed:
            self.log.append(entry)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[list[Entry]], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self.log), timeout=DEADLINE_SECONDS):
                raise TimeoutError(f"waited {DEADLINE_SECONDS}s for {what}; it never happened")


def ended(*names: str) -> Callable[[list[Entry]], bool]:
    return lambda log: all(("end", name) in log for name in names)


def started(*names: str) -> Callable[[list[Entry]], bool]:
    return lambda log: all(("start", name) in log for name in names)


def reported(item: str, status: str) -> Callable[[list[Entry]], bool]:
    return lambda log: ("reported", item, status) in log


class WatchedProgress(RecordingProgress):
    """Records the deployment's outcomes, and adds each to the happenings as it is reported."""

    def __init__(self, happenings: Happenings) -> None:
        super().__init__()
        self._happenings = happenings

    def item_finished(self, outcome: ItemOutcome) -> None:
        super().item_finished(outcome)
        self._happenings.add(("reported", outcome.item, outcome.status))


class FailingGateway:
    """The local gateway, except that writes to the item named `fail_on` fail like a 503 would.

    It also observes: writes in flight at once (and the most seen), an ordered log of when each
    write started and ended, and definition reads. A write to an item in `gates` runs its gate once
    logged as started (say, waiting until another write ended), so tests order writes without sleeps.
    """

    def __init__(self, inner: LocalFabricGateway, happenings: Happenings) -> None:
        self._inner = inner
        self._happenings = happenings
        self.fail_on: str | None = None
        self.gates: dict[str, Callable[[], object]] = {}
        self.definition_reads = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def log(self) -> list[Entry]:
        return self._happenings.log

    def hold(self, name: str, until: Callable[[list[Entry]], bool], what: str) -> None:
        """Writes to `name` wait, once started, until `until` holds of what happens from now on
        (failing after the deadline)."""
        mark = len(self.log)
        self.gates[name] = lambda: self._happenings.wait_for(lambda log: until(log[mark:]), f"{what}, holding {name}")

    def _check(self, name: str) -> None:
        if name == self.fail_on:
            self._happenings.add(("fail", name))
            raise GatewayError("The service is unavailable", error_code="ServiceUnavailable", status=503)

    def _name_of(self, workspace_id: str, item_id: str) -> str:
        return next((i.name for i in self._inner.list_items(workspace_id) if i.id == item_id), "")

    @contextmanager
    def _write(self, name: str) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._happenings.add(("start", name))
        try:
            gate = self.gates.get(name)
            if gate is not None:
                gate()
            self._check(name)
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            self._happenings.add(("end", name))

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


def make_world(**overrides: Any) -> World:
    """`overrides`: more adapters by port name (a telemetry that records what it is told)."""
    reader = InMemorySourceReader(
        workspaces={SOURCE: Workspace.of("sales", source_items())},
        configs={CONFIG: release_config()},
        parameters={PARAMETERS: parameter_rules()},
    )
    clock = FixedClock()
    happenings = Happenings()
    gateway = FailingGateway(LocalFabricGateway(FabricTenant.in_memory()), happenings)
    progress = WatchedProgress(happenings)
    app = bootstrap(
        Settings(state_store="memory", fabric="memory", user="tester"),
        reader=reader,
        clock=clock,
        ids=SequentialIdGenerator("id"),
        gateway=gateway,
        progress=progress,
        machine=InMemoryMachine(),
        **overrides,
    )
    return World(app, reader, clock, gateway, progress)
