"""Everything a deployment reads before it touches Fabric: source, configuration, parameters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from fabctl.application.ports import SourceReader
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.items import ItemKey
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.workspace import Workspace

CONFIG_FILE = "workspace-config.yaml"
PARAMETER_FILE = "parameter.yml"


@dataclass(frozen=True)
class DeploymentInputs:
    source_dir: str
    source: Workspace
    config: ReleaseConfig
    environment: Environment
    rules: ParameterRules
    # Logical id (lower case) -> item, of what fabctl deployed into the target (its deployment
    # records): an item gone from the source but still in the target binds through it. Set when
    # the target is read (`prepare_deployment`).
    target_logical_ids: Mapping[str, ItemKey] = field(default_factory=dict)


def load_inputs(
    reader: SourceReader,
    source_dir: str,
    environment: str,
    config_path: str = "",
    parameter_path: str = "",
) -> DeploymentInputs:
    """Read and validate all inputs; any problem raises before a single call to Fabric."""
    source = reader.read_workspace(source_dir)  # first: a missing folder is the error to report
    config = reader.read_release_config(config_path or os.path.join(source_dir, CONFIG_FILE))
    env = config.environment(environment)
    # The default file may be absent (no rules); a file the user named must exist.
    rules = reader.read_parameters(
        parameter_path or os.path.join(source_dir, PARAMETER_FILE), required=bool(parameter_path)
    )
    return DeploymentInputs(source_dir, source, config, env, rules)
