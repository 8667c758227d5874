"""A source reader over workspaces and configurations held in memory, for tests and local runs."""

from __future__ import annotations

from fabctl.domain.environments import ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration, InvalidSource
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace


class InMemorySourceReader:
    """Answers like `FabricGitFolderReader`, with the same errors for a path it does not know."""

    def __init__(
        self,
        workspaces: dict[str, Workspace] | None = None,
        configs: dict[str, ReleaseConfig] | None = None,
        parameters: dict[str, ParameterRules] | None = None,
    ) -> None:
        self.workspaces = dict(workspaces or {})
        self.configs = dict(configs or {})
        self.parameters = dict(parameters or {})

    def read_workspace(self, source_dir: str) -> Workspace:
        source = self.workspaces.get(source_dir)
        if source is None:
            raise InvalidSource("source folder does not exist", subject=source_dir)
        # A fresh copy each time, as reading from disk would give: callers may add to it.
        copy = Workspace(name=source.name, id=source.id)
        for item in source:
            copy.add(item, origin=source.origin(item.key))
        for unrecognised in source.unrecognised:
            copy.set_aside(unrecognised)
        return copy

    def read_release_config(self, path: str) -> ReleaseConfig:
        config = self.configs.get(path)
        if config is None:
            raise InvalidConfiguration(
                "workspace configuration file not found; pass --config <path> or create it",
                subject=path,
            )
        return config

    def read_parameters(self, path: str, *, required: bool = False) -> ParameterRules:
        if required and path not in self.parameters:
            raise InvalidConfiguration("parameter file not found; check the path given with --parameter", subject=path)
        return self.parameters.get(path, ParameterRules(source=path))
