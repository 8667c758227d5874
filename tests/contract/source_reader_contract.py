"""The source reader contract: every `SourceReader` must pass these tests.

Subclasses supply the `source` fixture: a `StoredSource` whose `reader` reads what its `store_*` methods
stored, in the adapter's own medium (folders in Fabric git integration format and YAML files, or dicts
in memory). What is stored is this module's: the items of `ITEMS`, the environments of `CONFIG` and the
rules of `FIND_REPLACE`; each adapter's store writes them its own way.

Left to each adapter's own tests: how malformed input is reported, unknown item types and names that
differ only in case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import pytest

from fabctl.application.ports import SourceReader
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.environments import Environment, PromotionPolicy, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration, InvalidSource
from fabctl.domain.items import Item, ItemKey, LogicalId
from fabctl.domain.parameters import FindReplace
from fabctl.domain.promotion_rules import RuleSet
from fabctl.domain.workspace import Workspace


class StoredSource(Protocol):
    reader: SourceReader

    def store_workspace(self, name: str, items: Sequence[Item]) -> str:
        """Store (or store again, replacing it) a source folder named `name` holding `items`; its `source_dir`."""
        ...

    def store_release_config(self, name: str) -> str:
        """Store `CONFIG` as a configuration file named `name`; its path."""
        ...

    def store_parameters(self, name: str) -> str:
        """Store `FIND_REPLACE` as a parameter file named `name`; its path."""
        ...

    def nowhere(self, name: str) -> str:
        """A path named `name` where nothing is stored."""
        ...


BINARY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary"
ITEMS = (
    Item(
        ItemKey("Lakehouse", "Sales"),
        LogicalId("11111111-aaaa-4aaa-8aaa-000000000001"),
        description="Raw sales, as the shops send them",
        definition=ItemDefinition.of([DefinitionPart.from_text("lakehouse.metadata.json", '{"defaultSchema": "dbo"}')]),
        creation_payload={"enableSchemas": True},
        source_path="Sales.Lakehouse",
    ),
    Item(
        ItemKey("Notebook", "Load Sales"),
        LogicalId("11111111-aaaa-4aaa-8aaa-000000000002"),
        folder="Notebooks/Daily",
        definition=ItemDefinition.of(
            [
                DefinitionPart.from_text("notebook-content.py", "# Fabric notebook source\r\nprint('héllo ✓')\r\n"),
                DefinitionPart("builtin/logo.png", BINARY),
                DefinitionPart.from_text("builtin/deep/er/notes.md", "nested\n"),
            ]
        ),
        source_path="Notebooks/Daily/Load Sales.Notebook",
    ),
    Item(
        ItemKey("Report", "Sales Report"),
        LogicalId("11111111-aaaa-4aaa-8aaa-000000000003"),
        folder="Reports",
        definition=ItemDefinition.of(
            [DefinitionPart.from_text("definition.pbir", '{"datasetReference": {"byPath": {"path": "../Model"}}}')]
        ),
        source_path="Reports/Sales Report.Report",
    ),
)
CHANGED = (
    replace(ITEMS[0], description="Sales, cleaned"),
    ITEMS[1].with_definition(ItemDefinition.of([DefinitionPart.from_text("notebook-content.py", "print(2)\n")])),
)

CONFIG = ReleaseConfig(
    (
        Environment("dev", workspace_name="Sales (dev)"),
        Environment("test", workspace_id="22222222-bbbb-4bbb-8bbb-000000000001", promotion=PromotionPolicy(1)),
        Environment(
            "prod", workspace_name="Sales (prod)", protected=True, promotion=PromotionPolicy(2, {"SemanticModel": 3})
        ),
    )
)
# Their origin is the store's to write; it names the file.
FIND_REPLACE = (
    FindReplace(
        "contosodevsales.dfs.core.windows.net",
        {"test": "contosotestsales.dfs.core.windows.net", "prod": "contosoprodsales.dfs.core.windows.net"},
        origin="",
        item_types=("Notebook", "Lakehouse"),
    ),
    FindReplace(
        r"alerts-(dev)@contoso\.com",
        {"_ALL_": "alerts@contoso.com"},
        origin="",
        is_regex=True,
        ignore_case=True,
        item_names=("Load Sales",),
        file_paths=("**/notebook-content.py",),
    ),
)


def described(item: Item) -> tuple[object, ...]:
    """Everything a reader promises about an item, its parts as path -> bytes."""
    parts = {p.path: p.payload for p in item.definition.parts}
    return (item.key, item.logical_id, item.description, item.folder, item.source_path, item.creation_payload, parts)


def described_all(workspace: Workspace) -> list[tuple[object, ...]]:
    return [described(item) for item in workspace]


class SourceReaderContract:
    @pytest.fixture
    def source(self) -> StoredSource:
        raise NotImplementedError

    def test_a_workspace_is_read_with_every_item_as_stored(self, source: StoredSource) -> None:
        source_dir = source.store_workspace("sales", ITEMS)

        workspace = source.reader.read_workspace(source_dir)

        assert described_all(workspace) == [described(item) for item in ITEMS]
        assert {str(i.key) for i in workspace} == {"Sales.Lakehouse", "Load Sales.Notebook", "Sales Report.Report"}
        assert workspace.folders == ["Notebooks", "Reports", "Notebooks/Daily"]
        loaded = workspace.by_logical_id(LogicalId("11111111-aaaa-4aaa-8aaa-000000000002"))
        assert loaded is not None and loaded.key == ItemKey("Notebook", "Load Sales")

    def test_each_read_gives_a_workspace_of_the_callers_own(self, source: StoredSource) -> None:
        source_dir = source.store_workspace("sales", ITEMS)
        first = source.reader.read_workspace(source_dir)
        first.add(Item(ItemKey("Notebook", "Added By The Caller")))

        second = source.reader.read_workspace(source_dir)

        assert ItemKey("Notebook", "Added By The Caller") not in second
        assert described_all(second) == [described(item) for item in ITEMS]

    def test_a_read_sees_the_source_as_it_is_now(self, source: StoredSource) -> None:
        source_dir = source.store_workspace("sales", ITEMS)
        source.reader.read_workspace(source_dir)
        assert source.store_workspace("sales", CHANGED) == source_dir

        again = source.reader.read_workspace(source_dir)

        assert described_all(again) == [described(item) for item in CHANGED]

    def test_a_source_folder_that_does_not_exist_is_an_invalid_source_naming_it(self, source: StoredSource) -> None:
        missing = source.nowhere("no-such-source")

        with pytest.raises(InvalidSource) as caught:
            source.reader.read_workspace(missing)

        assert caught.value.subject == missing

    def test_the_release_config_is_read_in_promotion_order(self, source: StoredSource) -> None:
        path = source.store_release_config("workspace-config.yaml")

        config = source.reader.read_release_config(path)

        # fabctl's rule templates come with every environment read from a file: compared apart
        rules = {e.name: e.promotion.rules for e in config.environments}
        assert all(r.for_type("Notebook").origin.startswith("fabctl template") for r in rules.values()) or not any(
            r.rules for r in rules.values()
        )
        bare = tuple(replace(e, promotion=replace(e.promotion, rules=RuleSet())) for e in config.environments)
        assert replace(config, environments=bare) == replace(CONFIG, source=path)
        assert [e.name for e in config.environments] == ["dev", "test", "prod"]
        assert config.next_after("dev").name == "test"

    def test_a_release_config_that_does_not_exist_is_invalid_configuration_naming_it(
        self, source: StoredSource
    ) -> None:
        missing = source.nowhere("missing-config.yaml")

        with pytest.raises(InvalidConfiguration) as caught:
            source.reader.read_release_config(missing)

        assert caught.value.subject == missing

    def test_parameters_are_read_rule_by_rule_naming_their_file(self, source: StoredSource) -> None:
        path = source.store_parameters("parameter.yml")

        rules = source.reader.read_parameters(path)

        assert rules.source == path
        assert [replace(rule, origin="") for rule in rules.find_replace] == list(FIND_REPLACE)
        assert all(path in rule.origin for rule in rules.find_replace)
        assert (rules.key_value_replace, rules.spark_pool, rules.semantic_model_binding) == ((), (), ())
