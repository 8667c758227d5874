"""What the checks share: the settings, where the release configuration is, and what earlier checks found.

The settings are loaded once, here; a check that needs them while they did not load is skipped (the
settings check already failed, naming the setting at fault). The adapters are built by the composition
root's container, one at a time, so one that cannot be built fails its own check and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fabctl.domain.errors import DomainError

if TYPE_CHECKING:
    from fabctl.adapters.identity.token_claims import TokenPrincipal
    from fabctl.application.ports import FabricGateway, UnitOfWork, WorkspaceInfo
    from fabctl.domain.environments import ReleaseConfig
    from fabctl.entrypoints.settings import Settings

CONFIG_FILE = "workspace-config.yaml"
PARAMETER_FILE = "parameter.yml"


class NotChecked(Exception):
    """What a check needs is missing because an earlier check failed: the check is skipped, saying why."""


@dataclass
class DoctorContext:
    settings: Settings | None
    settings_error: DomainError | None = None
    source_dir: str = ""  # "" = the current directory
    config_path: str = ""  # "" = SOURCE_DIR/workspace-config.yaml
    parameter_path: str = ""  # "" = SOURCE_DIR/parameter.yml
    # Found by earlier checks, for later ones:
    release: ReleaseConfig | None = None
    principal: TokenPrincipal | None = None
    workspaces: dict[str, WorkspaceInfo] = field(default_factory=dict)  # environment name -> its workspace
    _gateway: FabricGateway | None = None
    _uow: UnitOfWork | None = None

    @classmethod
    def load(
        cls, source_dir: str = "", config_path: str = "", parameter_path: str = "", **given: object
    ) -> DoctorContext:
        """The context, with the settings as `given` flags and the environment say, or the error they raised."""
        from fabctl.entrypoints.settings import load_settings

        try:
            settings = load_settings(**{k: v for k, v in given.items() if v is not None})
        except DomainError as e:
            return cls(None, e, source_dir, config_path, parameter_path)
        return cls(settings, None, source_dir, config_path, parameter_path)

    def loaded_settings(self) -> Settings:
        if self.settings is None:
            raise NotChecked("the settings did not load")
        return self.settings

    def config_file(self) -> Path:
        return Path(self.config_path) if self.config_path else Path(self.source_dir or ".") / CONFIG_FILE

    def parameter_file(self) -> Path:
        return Path(self.parameter_path) if self.parameter_path else Path(self.source_dir or ".") / PARAMETER_FILE

    def release_config(self) -> ReleaseConfig:
        if self.release is None:
            raise NotChecked(f"{self.config_file()} did not parse")
        return self.release

    def gateway(self) -> FabricGateway:
        if self._gateway is None:
            settings = self.loaded_settings()
            if settings.fabric == "http":
                self._gateway = _quick_http_gateway(settings)
            else:
                from fabctl.entrypoints.bootstrap import Container

                self._gateway = Container(settings=settings).gateway()
        return self._gateway

    def state_store(self) -> UnitOfWork:
        if self._uow is None:
            from fabctl.entrypoints.bootstrap import state_store

            settings = self.loaded_settings()
            self._uow = state_store(settings, settings.state_store)
        return self._uow


def _quick_http_gateway(settings: Settings) -> FabricGateway:
    """Fabric over HTTP as deployments reach it, with the same identity, but retried once, not five times:
    the doctor says what is wrong now, it does not wait for Fabric to come back."""
    from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway
    from fabctl.entrypoints.bootstrap import credential_for

    credential = credential_for(settings.fabric_url, settings)
    return HttpxFabricGateway(settings.fabric_url, credential=credential, max_retries=1, connect_timeout_s=5.0)
