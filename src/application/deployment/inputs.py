"""Everything a deployment reads before it touches Fabric: source, configuration, parameters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from fabctl.application.ports import SourceReader
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
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
    # The configuration and parameter files the deployment was given ("" for the folder's defaults):
    # journaled, so that a resume reads what the deployment read.
    config_path: str = ""
    parameter_path: str = ""


def load_inputs(
    reader: SourceReader,
    source_dir: str,
    environment: str,
    config_path: str = "",
    parameter_path: str = "",
    *,
    config: ReleaseConfig | None = None,
) -> DeploymentInputs:
    """Read and validate all inputs; any problem raises before a single call to Fabric.

    `config`, when given, is the configuration itself (a resume of a deployment whose target alone
    made it), and no file is read for it. fabric-cicd's config.yml may name the parameter file
    (`core.parameter`) and the items' folder (`core.repository_directory`): the first is read
    unless `parameter_path` names another, the second must be `source_dir`.
    """
    source = reader.read_workspace(source_dir)  # first: a missing folder is the error to report
    if config is None:
        config = reader.read_release_config(config_path or os.path.join(source_dir, CONFIG_FILE))
    env = config.environment(environment)
    _require_source_dir(env, source_dir, config.source)
    named = parameter_path or env.parameter_file
    # The default file may be absent (no rules); a file the user named must exist.
    rules = reader.read_parameters(named or os.path.join(source_dir, PARAMETER_FILE), required=bool(named))
    return DeploymentInputs(
        source_dir, source, config, env, rules, config_path=config_path, parameter_path=parameter_path
    )


def _require_source_dir(env: Environment, source_dir: str, config_source: str) -> None:
    """fabric-cicd's `core.repository_directory` names the items' folder: it must be the one given."""
    if env.source_dir and os.path.realpath(env.source_dir) != os.path.realpath(source_dir):
        raise InvalidConfiguration(
            f"names the items' folder {env.source_dir}, but the folder given is {source_dir}: "
            "pass that folder, or change the setting",
            subject=config_source,
            field="core.repository_directory",
        )
