"""A stand-in `az` executable for azure-identity's real AzureCliCredential, which runs `az` on PATH.

It answers `az account get-access-token --output json --resource R [--tenant T]` as the Azure CLI does
(the JSON shape azure-identity parses: `accessToken`, `expiresOn`, `expires_on`, `tenant`, `tokenType`)
with a token the test gave it (one the local Entra-like authority signed). Signed out, it fails as the
real CLI does: exit 1 and "Please run 'az login' to setup account." on stderr. Every call's arguments
are appended to `calls.jsonl` next to it, so a test sees what azure-identity asked.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = """#!{python}
import json, sys, time
from pathlib import Path

here = Path(__file__).resolve().parent
with open(here / "calls.jsonl", "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
state = json.loads((here / "az-state.json").read_text())
if sys.argv[1:3] != ["account", "get-access-token"]:
    sys.stderr.write("ERROR: the stand-in az answers only 'account get-access-token'\\n")
    sys.exit(2)
if not state["logged_in"]:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
    sys.exit(1)
expires = int(time.time()) + 3600
print(json.dumps({{
    "accessToken": state["token"],
    "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires)),
    "expires_on": expires,
    "subscription": "00000000-0000-0000-0000-000000000000",
    "tenant": state["tenant"],
    "tokenType": "Bearer",
}}, indent=2))
"""


@dataclass(frozen=True)
class AzureCliStandIn:
    bin_dir: Path  # put it first on PATH

    def sign_in(self, token: str, tenant: str) -> None:
        self._state({"logged_in": True, "token": token, "tenant": tenant})

    def sign_out(self) -> None:
        self._state({"logged_in": False, "token": "", "tenant": ""})

    def calls(self) -> list[list[str]]:
        file = self.bin_dir / "calls.jsonl"
        return [json.loads(line) for line in file.read_text().splitlines()] if file.exists() else []

    def path(self) -> str:
        """PATH with the stand-in first."""
        return f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"

    def _state(self, state: dict[str, object]) -> None:
        (self.bin_dir / "az-state.json").write_text(json.dumps(state))


def azure_cli_standin(directory: Path) -> AzureCliStandIn:
    """An `az` in `directory` (created), signed out until `sign_in`."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "az"
    script.write_text(_SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    standin = AzureCliStandIn(directory)
    standin.sign_out()
    return standin
