"""Run fabric-cicd 1.4.0 (the PyPI package, unmodified) in a subprocess against a local Fabric API.

fabric-cicd validates its API root URLs when `fabric_cicd.constants` is imported: https only, host name
`*api.fabric.microsoft.com` / `*api.powerbi.com` (`_common/_validate_env_vars.validate_api_url`, applied to the
env vars DEFAULT_API_ROOT_URL and FABRIC_API_ROOT_URL). The child process therefore imports fabric-cicd with those
env vars unset (the defaults pass the check) and then assigns both module constants directly, the override
fabric-cicd itself recommends (`constants.DEFAULT_API_ROOT_URL = ...`, see FabricWorkspace's base_api_url error).
Nothing else in fabric-cicd is patched. See docs/fabric-cicd-endpoints.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

RESULT_MARKER = "FABRIC_CICD_RESULT "
DEFAULT_TOKEN = "fabric-cicd-test-token"
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # fabric-cicd always colours its console log

# Runs in the child. Reads one JSON argument; prints RESULT_MARKER + JSON of the deployed ids on success.
_CHILD_SCRIPT = r"""
import json
import sys
import time
import traceback

config = json.loads(sys.argv[1])


class StaticTokenCredential:
    # A plain azure.core TokenCredential: the same bearer token, valid for an hour from each call.
    def __init__(self, token):
        self._token = token

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


try:
    import fabric_cicd
    from fabric_cicd import constants

    # Bypass of the https/host-name check only: the check ran at import on the (valid) defaults.
    constants.DEFAULT_API_ROOT_URL = config["api_url"]
    constants.FABRIC_API_ROOT_URL = config["api_url"]
    for flag in config.get("feature_flags", []):  # e.g. enable_shortcut_publish, fabric-cicd's own switch
        fabric_cicd.append_feature_flag(flag)

    workspace = fabric_cicd.FabricWorkspace(
        workspace_id=config["workspace_id"],
        repository_directory=config["repository_dir"],
        item_type_in_scope=config["item_types"],
        environment=config["environment"],
        token_credential=StaticTokenCredential(config["token"]),
    )
    fabric_cicd.publish_all_items(workspace)
    if config["unpublish"]:
        fabric_cicd.unpublish_all_orphan_items(workspace)
except Exception as error:
    details = getattr(error, "additional_info", None)
    print(f"fabric-cicd failed: {type(error).__name__}: {error}", file=sys.stderr)
    if details:
        print(details, file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)

deployed = {
    item_type: {name: item.guid for name, item in items.items()}
    for item_type, items in workspace.repository_items.items()
}
print("FABRIC_CICD_RESULT " + json.dumps(deployed), flush=True)
"""

# fabric-cicd reads these at import; the URL ones would fail validation for a local URL, the rest must not leak in.
_ENV_VARS_CLEARED = (
    "DEFAULT_API_ROOT_URL",
    "FABRIC_API_ROOT_URL",
    "FABRIC_CICD_HTTP_TRACE_ENABLED",
    "FABRIC_CICD_HTTP_TRACE_FILE",
    "FABRIC_CICD_FILE_LOGGING_ENABLED",
    "FABRIC_CICD_PARALLEL_MAX_WORKERS",
    "FABRIC_CICD_RETRY_AFTER_SECONDS",
    "FABRIC_CICD_RETRY_BASE_DELAY_SECONDS",
)


def publish_with_fabric_cicd(
    api_url: str,
    repository_dir: Path,
    workspace_id: str,
    item_types: list[str],
    *,
    ca_file: Path | None = None,
    unpublish: bool = False,
    environment: str = "N/A",
    token: str = DEFAULT_TOKEN,
    timeout_seconds: float = 180,
    feature_flags: tuple[str, ...] = (),
    own_delays: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Publish `repository_dir` into `workspace_id` at `api_url` with fabric-cicd; never raises on its failure.

    `api_url` is the API root (scheme://host:port, no path; a trailing `/v1` is dropped). Pass `ca_file` when it is
    https with a certificate from a throwaway CA. `feature_flags` are passed to `fabric_cicd.append_feature_flag`
    before publishing. `own_delays` keeps fabric-cicd's own poll and retry delays (it sleeps as it would
    against Fabric) instead of making each of them 0 s. The result's returncode is 0 only if fabric-cicd
    succeeded; its stderr then holds fabric-cicd's log and, on failure, its error.
    """
    config = {
        "api_url": _api_root(api_url),
        "repository_dir": str(repository_dir.resolve()),  # fabric-cicd compares resolved report byPath paths
        "workspace_id": workspace_id,
        "item_types": list(item_types),
        "environment": environment,
        "token": token,
        "unpublish": unpublish,
        "feature_flags": list(feature_flags),
    }
    try:
        return subprocess.run(
            [sys.executable, "-c", _CHILD_SCRIPT, json.dumps(config)],
            env=_child_environment(ca_file, own_delays=own_delays),
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        output = _ANSI_ESCAPE.sub("", "\n".join(_text(stream) for stream in (timeout.stdout, timeout.stderr)))
        tail = "\n".join(output.splitlines()[-100:])  # a poll loop at 0 s delay logs thousands of lines
        raise AssertionError(f"fabric-cicd did not finish in {timeout_seconds} s; last output:\n{tail}") from None


def deployed_ids(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    """The ids fabric-cicd assigned to the repository items: {item type: {display name: id}}."""
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            ids: dict[str, dict[str, str]] = json.loads(line[len(RESULT_MARKER) :])
            return ids
    raise AssertionError(f"fabric-cicd printed no result line.\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """Exit code and both streams without colour codes, for assertion messages."""
    stdout, stderr = (_ANSI_ESCAPE.sub("", stream) for stream in (result.stdout, result.stderr))
    return f"fabric-cicd exited {result.returncode}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"


def _api_root(api_url: str) -> str:
    root = api_url.rstrip("/")
    return root.removesuffix("/v1")


def _child_environment(ca_file: Path | None, *, own_delays: bool = False) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _ENV_VARS_CLEARED}
    env.pop("FABRIC_CICD_RETRY_DELAY_OVERRIDE_SECONDS", None)
    if not own_delays:  # every sleep (LRO polling, 429/500 retries) becomes 0 s
        env["FABRIC_CICD_RETRY_DELAY_OVERRIDE_SECONDS"] = "0"
    # Bound each call's retry/poll loop.
    env["FABRIC_CICD_RETRY_API_MAX_DURATION_SECONDS"] = "60"
    env["FABRIC_CICD_RETRY_MAX_DURATION_SECONDS"] = "30"
    # requests honours proxy variables; a local emulator must be reached directly.
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, [env.get(name, ""), "127.0.0.1", "localhost", "::1"]))
    if ca_file is not None:
        env["REQUESTS_CA_BUNDLE"] = str(ca_file)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _text(stream: str | bytes | None) -> str:
    if stream is None:
        return ""
    return stream.decode(errors="replace") if isinstance(stream, bytes) else stream
