"""`--workspace` / `--workspace-id`: deploy an environment to another workspace than its config says.

The override is applied at the edge: the source reader hands the application a release
configuration whose environment already names the overriding workspace, so planning, deploying
and the journal all see one consistent target.

Without `--config` and without a `workspace-config.yaml`, the target alone makes the configuration,
as fabric-cicd takes a folder: one environment of that name, unprotected, and the name then only
selects `parameter.yml` values. A `--config` file that is missing stays an error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import click

from fabctl.application.ports import SourceReader
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace


@dataclass(frozen=True)
class WorkspaceOverride:
    environment: str
    workspace_id: str = ""
    workspace_name: str = ""
    config_path: str = ""  # the --config given, "" for SOURCE_DIR/workspace-config.yaml

    @property
    def flag(self) -> str:
        return "--workspace-id" if self.workspace_id else "--workspace"

    def standalone(self) -> ReleaseConfig:
        """The configuration the target alone makes, when there is no configuration file."""
        from fabctl.adapters.source.feature_config import flags_in_force

        environment = Environment(
            self.environment, workspace_name=self.workspace_name, workspace_id=self.workspace_id,
            features=flags_in_force({}, {}),  # no file: the defaults, and FABCTL_FEATURE_* over them
        )  # fmt: skip
        return ReleaseConfig((environment,), source=self.flag, standalone=True)

    def apply(self, config: ReleaseConfig) -> ReleaseConfig:
        environments = tuple(
            replace(env, workspace_id=self.workspace_id, workspace_name=self.workspace_name or env.workspace_name)
            if env.name == self.environment
            else env
            for env in config.environments
        )
        return replace(config, environments=environments)


class OverridingReader:
    """A `SourceReader` that reads through `inner` and retargets one environment."""

    def __init__(self, inner: SourceReader, override: WorkspaceOverride) -> None:
        self._inner = inner
        self._override = override

    def read_workspace(self, source_dir: str) -> Workspace:
        return self._inner.read_workspace(source_dir)

    def read_release_config(self, path: str) -> ReleaseConfig:
        if not self._override.config_path and not Path(path).exists():
            return self._override.standalone()
        return self._override.apply(self._inner.read_release_config(path))

    def read_parameters(self, path: str, *, required: bool = False) -> ParameterRules:
        return self._inner.read_parameters(path, required=required)


def workspace_override(
    environment: str, workspace_id: str, workspace_name: str, config_path: str = ""
) -> WorkspaceOverride | None:
    """The override the flags ask for, or None; both flags at once is a usage error (exit code 2)."""
    if workspace_id and workspace_name:
        raise click.UsageError("--workspace-id and --workspace are mutually exclusive: give one target")
    if not workspace_id and not workspace_name:
        return None
    return WorkspaceOverride(environment, workspace_id, workspace_name, config_path)
