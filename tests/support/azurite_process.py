"""Start Azurite (Microsoft's Azure Storage emulator, from npm) as a real process for tests.

Azurite is asked for port 0 on 127.0.0.1 for each service and prints the port it bound
("... successfully listening at http://127.0.0.1:PORT"); we wait for those lines, so no test
races a bind. Data is kept in memory. The process is stopped by its own PID, never by name.

`start(workdir, tls=...)` serves HTTPS with that certificate and accepts bearer tokens (`--oauth basic`:
Azurite checks a token's audience, issuer and lifetime, not its signature, and grants it everything);
requests signed with the development key still work, so the connection string does too.

Where Azurite is: `FABCTL_AZURITE` (a path to its `azurite` script), else `.tools/node_modules/.bin/azurite`
in the repository, which `scripts/test.sh` installs.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from certificates import TlsFiles

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
ACCOUNT = "devstoreaccount1"
# The well-known development account key: public, documented by Microsoft, accepted only by Azurite.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"Azurite (Blob|Table) service is successfully listening at (https?://\S+)")


def azurite_command() -> str:
    configured = os.environ.get("FABCTL_AZURITE")
    path = Path(configured) if configured else REPOSITORY / ".tools" / "node_modules" / ".bin" / "azurite"
    if not path.exists():
        raise RuntimeError(
            f"Azurite is not installed at {path}: run scripts/test.sh (it installs it with npm), "
            "or set FABCTL_AZURITE to the azurite script"
        )
    return str(path)


@dataclass(frozen=True)
class RunningAzurite:
    blob_url: str  # e.g. http://127.0.0.1:41231/devstoreaccount1 (https:// with tls)
    table_url: str
    process: subprocess.Popen[bytes]
    log: Path  # its output: the access log, one line per request it answered (benchmarks count them)
    debug_log: Path | None = None  # with tls: Azurite's debug log, which says how it authenticated each request

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol={self.blob_url.partition(':')[0]};AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_url};TableEndpoint={self.table_url};"
        )


def _read_endpoints(log: Path, process: subprocess.Popen[bytes], timeout: float) -> dict[str, str]:
    """The blob and table URLs Azurite prints to its log, once both are there (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    found: dict[str, str] = {}
    while len(found) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for a start, bounded; no outcome depends on it
        for match in _LISTENING.finditer(log.read_text(errors="replace")):
            found[match.group(1)] = f"{match.group(2)}/{ACCOUNT}"
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill Azurite at once: its data is in memory, and on SIGTERM its node process lingers
    (STOP_TIMEOUT_SECONDS each time) after closing its services."""
    if process.poll() is None:
        process.kill()
    process.wait(STOP_TIMEOUT_SECONDS)


def start(workdir: Path, tls: TlsFiles | None = None) -> RunningAzurite:
    """A started Azurite (over HTTPS, taking bearer tokens, with `tls`); the caller must `stop(azurite.process)`."""
    command = [
        azurite_command(),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--loose",
        *("--blobHost", "127.0.0.1", "--blobPort", "0"),
        *("--tableHost", "127.0.0.1", "--tablePort", "0"),
        *("--queueHost", "127.0.0.1", "--queuePort", "0"),
    ]
    debug_log = None
    if tls:
        debug_log = workdir / "azurite-debug.log"
        command += ["--cert", str(tls.cert), "--key", str(tls.key), "--oauth", "basic", "--debug", str(debug_log)]
    log = workdir / "azurite.log"  # a file, not a pipe: a pipe nobody drains would block Azurite
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=workdir, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    endpoints = _read_endpoints(log, process, START_TIMEOUT_SECONDS)
    if set(endpoints) != {"Blob", "Table"}:
        stop(process)
        raise RuntimeError(
            f"Azurite did not start within {START_TIMEOUT_SECONDS} s (exit code {process.returncode}): "
            + log.read_text(errors="replace")[-2000:]
        )
    return RunningAzurite(endpoints["Blob"], endpoints["Table"], process, log, debug_log)


@contextmanager
def running_azurite(tmp_path: Path | None = None, tls: TlsFiles | None = None) -> Iterator[RunningAzurite]:
    with tempfile.TemporaryDirectory(dir=tmp_path) as workdir:
        azurite = start(Path(workdir), tls)
        try:
            yield azurite
        finally:
            stop(azurite.process)


def fresh_name(prefix: str) -> str:
    """A table or container name no other test uses: letters and digits, as both services accept."""
    return f"{prefix}{time.monotonic_ns():x}{os.getpid():x}"[:63]
