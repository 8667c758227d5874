"""Settings: environment variables `FABCTL_*`, then a `fabctl.toml` file, then the defaults.

The defaults are the embedded ones a new user gets with no Azure account: a local Fabric and a
SQLite state store in `.fabctl/` of the working directory, and an in-memory event bus.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from fabctl.adapters.fabric.http.urls import fabric_api_base
from fabctl.domain.errors import InvalidConfiguration

CONFIG_FILE_ENV = "FABCTL_CONFIG_FILE"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some CI containers)
        return "unknown"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FABCTL_", extra="forbid")

    state_dir: Path = Field(Path(".fabctl"), description="Where local state and the local Fabric live.")
    state_store: Literal["sqlite", "memory"] = "sqlite"
    fabric: Literal["local", "memory", "http"] = "local"
    fabric_url: str = Field("", description="Fabric REST base URL; setting it selects the http gateway.")
    fabric_trace: Path | None = Field(None, description="Write an HTTP trace (JSON lines, secrets redacted).")
    event_bus: Literal["memory"] = "memory"
    user: str = Field(default_factory=_default_user, description="Who is acting (requester, approver).")

    @field_validator("fabric_url")
    @classmethod
    def _fabric_api_base(cls, url: str) -> str:
        # The root (fabric-cicd's convention) or the REST base; never credentials (urls.py).
        return fabric_api_base(url) if url.strip() else ""

    @model_validator(mode="after")
    def _url_selects_http(self) -> Settings:
        if self.fabric_url:
            self.fabric = "http"
        elif self.fabric == "http":
            raise ValueError("fabric 'http' needs fabric_url (FABCTL_FABRIC_URL or --fabric-url)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get(CONFIG_FILE_ENV, "fabctl.toml"))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file)


def load_settings(**overrides: object) -> Settings:
    """The settings (command-line `overrides` first), or one clear error naming what is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "fabric"
        source = os.environ.get(CONFIG_FILE_ENV, "fabctl.toml")
        raise InvalidConfiguration(
            f"{first['msg']} (set by FABCTL_{key.upper()} or by '{key}' in {source})",
            subject="fabctl settings",
            field=key,
        ) from e
