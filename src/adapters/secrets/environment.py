"""`EnvironmentSecretStore`: the fallback without a Key Vault, secrets from the environment or a `.env` file.

The environment wins over the file (a CI job's variable overrides a developer's `.env`). A `$secret:` name
with dashes is looked up with underscores (`db-password` is `db_password`), as variable names cannot hold
dashes. The file is read once, when first needed, with python-dotenv (the `KEY=value` format, quotes and
`export` prefixes included). Values are never part of an error: only the name and the places looked in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from fabctl.domain.errors import InvalidConfiguration

SETTING = "FABCTL_SECRETS_ENV_FILE"


class EnvironmentSecretStore:
    def __init__(self, env_file: Path, environ: Mapping[str, str] | None = None) -> None:
        self.env_file = env_file
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._file: dict[str, str] | None = None

    def get_secret(self, name: str) -> str:
        variable = name.replace("-", "_")
        if variable in self._environ:
            return self._environ[variable]
        found = self._from_file().get(variable)
        if found is not None:
            return found
        where = f".env at {self.env_file}" if self.env_file.is_file() else f".env at {self.env_file} (no such file)"
        raise KeyError(f"secret {name}: not in the environment (as {variable}) or {where}")

    def _from_file(self) -> dict[str, str]:
        with self._lock:
            if self._file is None:
                try:
                    values = dotenv_values(self.env_file) if self.env_file.is_file() else {}
                except (OSError, UnicodeDecodeError) as e:
                    reason = e.strerror if isinstance(e, OSError) else "it is not UTF-8 text"
                    raise InvalidConfiguration(
                        f"the .env file cannot be read ({reason}); fix it or point {SETTING} elsewhere",
                        subject=str(self.env_file),
                    ) from None
                self._file = {k: v for k, v in values.items() if v is not None}
            return self._file
