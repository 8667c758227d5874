"""A transaction is recovered and reverted where it wrote: its journaled Fabric and workspace."""

from __future__ import annotations

from dataclasses import replace

from fabctl.application.deployment.inputs import DeploymentInputs, load_inputs
from fabctl.application.ports import FabricGateway, SourceReader
from fabctl.domain.environments import Environment, ReleaseConfig
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.transaction import Transaction


def fabric_key(url: str) -> str:
    """One spelling per Fabric: no trailing slash, no `/v1` (the root URL names the same API)."""
    trimmed = url.strip().rstrip("/")
    return trimmed.removesuffix("/v1").lower()


def require_journaled_fabric(tx: Transaction, gateway: FabricGateway) -> None:
    """Refuse (nothing written) to act on `tx` through a gateway to another Fabric than it wrote to."""
    if fabric_key(gateway.base_url) == fabric_key(tx.fabric_url):
        return
    journaled = tx.fabric_url or "the local Fabric (.fabctl/local-fabric.db)"
    given = gateway.base_url or "the local Fabric"
    raise InvalidConfiguration(
        f"wrote to {journaled}, not to {given}: it is recovered and reverted only where it wrote. "
        "Leave out --fabric-url to reach the Fabric it journaled",
        subject=tx.subject,
        field="fabric_url",
    )


def retargeted(inputs: DeploymentInputs, tx: Transaction) -> DeploymentInputs:
    """The inputs with the environment aimed at the workspace `tx` journaled, whatever the config says now
    (a deployment made with --workspace or --workspace-id went elsewhere than its config)."""
    environment = replace(inputs.environment, workspace_id=tx.workspace_id)
    return replace(inputs, environment=environment)


def journaled_inputs(
    reader: SourceReader, tx: Transaction, config_path: str = "", parameter_path: str = ""
) -> DeploymentInputs:
    """What `tx`'s deployment read, read again: its source folder, and the configuration and parameter
    files it was given, unless `config_path` / `parameter_path` name others. A deployment whose target
    alone made its configuration (no file) gets that configuration again, from the journal."""
    given = tx.inputs
    config = None
    if given.standalone_config and not config_path:
        environment = Environment(tx.environment, workspace_id=tx.workspace_id)
        config = ReleaseConfig((environment,), source=tx.subject, standalone=True)
    return load_inputs(
        reader, tx.source_dir, tx.environment, config_path or given.config_path,
        parameter_path or given.parameter_path, config=config,
    )  # fmt: skip
