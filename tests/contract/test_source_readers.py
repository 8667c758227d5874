"""The source reader contract run against every adapter: folders on disk and dicts in memory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from source_reader_contract import CONFIG, FIND_REPLACE, SourceReaderContract

from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.adapters.source.memory import InMemorySourceReader
from fabctl.domain.items import Item
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace

# CONFIG and FIND_REPLACE as their files say them.
CONFIG_YAML = """\
environments:
  dev:
    workspace: "Sales (dev)"
  test:
    workspace_id: "22222222-bbbb-4bbb-8bbb-000000000001"
    promotion:
      approvals: 1
  prod:
    workspace: "Sales (prod)"
    protected: true
    promotion:
      approvals: 2
      approvals_by_type: {SemanticModel: 3}
"""
PARAMETERS_YAML = """\
find_replace:
  - find_value: "contosodevsales.dfs.core.windows.net"
    replace_value:
      test: "contosotestsales.dfs.core.windows.net"
      prod: "contosoprodsales.dfs.core.windows.net"
    item_type: ["Notebook", "Lakehouse"]
  - find_value: 'alerts-(dev)@contoso\\.com'
    replace_value: {_ALL_: "alerts@contoso.com"}
    is_regex: "true"
    ignore_case: "true"
    item_name: "Load Sales"
    file_path: "**/notebook-content.py"
"""


class GitFolders:
    """Items as Fabric git integration exports them: `<folder>/<Name>.<Type>/.platform` beside the parts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reader = FabricGitFolderReader()

    def store_workspace(self, name: str, items: Sequence[Item]) -> str:
        source = self.root / name
        shutil.rmtree(source, ignore_errors=True)
        for item in items:
            folder = source / item.source_path
            folder.mkdir(parents=True)
            metadata: dict[str, object] = {"type": item.type, "displayName": item.name}
            if item.description:
                metadata["description"] = item.description
            if item.creation_payload is not None:
                metadata["creationPayload"] = item.creation_payload
            platform = {"metadata": metadata, "config": {"version": "2.0", "logicalId": str(item.logical_id)}}
            (folder / ".platform").write_text(json.dumps(platform, indent=2), encoding="utf-8")
            for part in item.definition.parts:
                (folder / part.path).parent.mkdir(parents=True, exist_ok=True)
                (folder / part.path).write_bytes(part.payload)
        return str(source)

    def store_release_config(self, name: str) -> str:
        (self.root / name).write_text(CONFIG_YAML, encoding="utf-8")
        return str(self.root / name)

    def store_parameters(self, name: str) -> str:
        (self.root / name).write_text(PARAMETERS_YAML, encoding="utf-8")
        return str(self.root / name)

    def nowhere(self, name: str) -> str:
        return str(self.root / name)


class InMemory:
    def __init__(self) -> None:
        self.reader = InMemorySourceReader()

    def store_workspace(self, name: str, items: Sequence[Item]) -> str:
        self.reader.workspaces[f"src/{name}"] = Workspace.of(name, items)
        return f"src/{name}"

    def store_release_config(self, name: str) -> str:
        self.reader.configs[f"src/{name}"] = replace(CONFIG, source=f"src/{name}")
        return f"src/{name}"

    def store_parameters(self, name: str) -> str:
        path = f"src/{name}"
        rules = tuple(replace(rule, origin=f"{path}: find_replace[{n}]") for n, rule in enumerate(FIND_REPLACE))
        self.reader.parameters[path] = ParameterRules(rules, source=path)
        return path

    def nowhere(self, name: str) -> str:
        return f"src/{name}"


class TestFabricGitFolderReader(SourceReaderContract):
    @pytest.fixture
    def source(self, tmp_path: Path) -> GitFolders:
        return GitFolders(tmp_path)


class TestInMemorySourceReader(SourceReaderContract):
    @pytest.fixture
    def source(self) -> InMemory:
        return InMemory()
