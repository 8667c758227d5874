"""`fabctl.toml`: the settings file in the working directory, or the file `FABCTL_CONFIG_FILE` names.

Its keys are the settings' names (`state_dir = ".fabctl"`), or the names of their environment
variables (`FABCTL_STATE_DIR = ".fabctl"`), in any case: the README says "the same keys" and users
write either. Everything wrong with the file is one `InvalidConfiguration` naming it: missing
(when named), not a regular file, not UTF-8, not TOML (with line and column), an unknown key, or one
setting given twice.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fabctl.adapters.source.config_files import suggest
from fabctl.adapters.source.regular_files import read_regular, reason
from fabctl.domain.errors import InvalidConfiguration

CONFIG_FILE_ENV = "FABCTL_CONFIG_FILE"
DEFAULT_CONFIG_FILE = "fabctl.toml"
ENV_PREFIX = "FABCTL_"


@dataclass(frozen=True)
class SettingsFile:
    """The settings a file holds, by setting name, and how each key was written there."""

    label: str  # the path as the user gave it (or the default name)
    values: dict[str, Any] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)


def settings_file_path() -> tuple[Path, bool]:
    """The settings file's path, and whether `FABCTL_CONFIG_FILE` named it (it must then exist)."""
    named = os.environ.get(CONFIG_FILE_ENV, "")
    return Path(named or DEFAULT_CONFIG_FILE), bool(named)


def read_settings_file(known: Iterable[str]) -> SettingsFile:
    """The settings file's values for the settings named in `known`; none when there is no file."""
    path, named = settings_file_path()
    label = str(path)
    where = f" (named by {CONFIG_FILE_ENV})" if named else ""
    if not named and not os.path.lexists(path):
        return SettingsFile(label)
    try:
        text = read_regular(path).decode("utf-8")
    except FileNotFoundError as e:
        raise InvalidConfiguration(f"settings file not found{where}", subject=label) from e
    except OSError as e:
        raise InvalidConfiguration(f"{reason(e)}{where}", subject=label) from e
    except UnicodeDecodeError as e:
        raise InvalidConfiguration(f"is not UTF-8 text, so not a TOML file{where}", subject=label) from e
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidConfiguration(f"invalid TOML: {e}{where}", subject=label) from e
    return _settings_of(document, label, sorted(known))


def _settings_of(document: dict[str, Any], label: str, known: list[str]) -> SettingsFile:
    values: dict[str, Any] = {}
    spelling: dict[str, str] = {}
    for key, value in document.items():
        name = key.lower().removeprefix(ENV_PREFIX.lower())
        if name not in known:
            raise InvalidConfiguration(
                f"unknown setting '{key}'{suggest(name, known)}; the settings are: {', '.join(known)} "
                f"(or their variables' names, such as {ENV_PREFIX}STATE_DIR)",
                subject=label,
                field=key,
            )
        if name in spelling:
            raise InvalidConfiguration(
                f"sets '{name}' twice, as '{spelling[name]}' and as '{key}': keep one", subject=label, field=key
            )
        values[name] = value
        spelling[name] = key
    return SettingsFile(label, values, spelling)
