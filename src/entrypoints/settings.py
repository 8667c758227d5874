"""Settings: environment variables `FABCTL_*`, then a `fabctl.toml` file, then the defaults.

The defaults are the embedded ones a new user gets with no Azure account: a local Fabric and a
SQLite state store in `.fabctl/` of the working directory, and an in-memory event bus.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

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
    fabric: Literal["local", "memory"] = "local"
    event_bus: Literal["memory"] = "memory"
    user: str = Field(default_factory=_default_user, description="Who is acting (requester, approver).")

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


def load_settings() -> Settings:
    """The settings, or one clear error naming the variable or key that is wrong."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        source = os.environ.get(CONFIG_FILE_ENV, "fabctl.toml")
        raise InvalidConfiguration(
            f"{first['msg']} (set by FABCTL_{key.upper()} or by '{key}' in {source})",
            subject="fabctl settings",
            field=key,
        ) from e
