"""Small Fabric git-integration trees written by the engine tests, and a look at what the emulator holds.

Every engine test runs the real CLI (`cli.run`) against a real emulator process and checks the outcome
on the emulator's side: its snapshot (items, folders, definitions) and its request log (which calls were
made). The helpers here keep those tests short; they know nothing of fabctl's internals.
"""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cli import run, run_json
from emulator_process import RunningEmulator, configure, requests_log, reset, running_emulator, snapshot

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
PLATFORM_SCHEMA = (
    "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json"
)
SOURCE = "src"  # the source folder's name, relative to each test's working directory
DEV_WORKSPACE = "Engine (dev)"
CONFIG = f'environments:\n  dev:\n    workspace: "{DEV_WORKSPACE}"\n'

# Operations of 20 ms, SQL endpoints ready at once, no latency. `--lro-share 0` answers every
# request synchronously: a long-running operation's Retry-After is a whole second, which the client
# honours, and would make each deploy take seconds. Tests that need operations turn them on live.
EMULATOR_ARGS = ("--lro-ms", "20", "--sql-endpoint-ms", "0", "--latency-ms", "0", "--lro-share", "0")
DEFAULT_KNOBS: dict[str, Any] = {
    "fault_rate": 0.0,
    "fault_weights": {},
    "lro_share": 0.0,
    "latency_ms": 0,
    "throttle_rpm": 0,
    "throttle_window_s": 60.0,
    "seed": 0,
    "publish_ms": 0,
    "publish_retry_after_s": 0,
    "failing_publishes": [],
    "job_ms": 0,
    "job_failure_rate": 0.0,
    "failing_jobs": [],
}


@contextmanager
def module_emulator(directory: Path) -> Iterator[RunningEmulator]:
    """One emulator for a test module (started once: each start costs a second)."""
    with running_emulator(*EMULATOR_ARGS, tmp_path=directory) as emulator:
        yield emulator


def fresh(emulator: RunningEmulator) -> RunningEmulator:
    """The module's emulator, emptied and back on the default knobs, for the next test."""
    configure(emulator, **DEFAULT_KNOBS)
    reset(emulator)
    return emulator


# --- writing sources ------------------------------------------------------------------------------


def platform(item_type: str, name: str, logical_id: str, description: str = "") -> str:
    metadata = {"type": item_type, "displayName": name, "description": description}
    document = {"$schema": PLATFORM_SCHEMA, "metadata": metadata, "config": {"version": "2.0", "logicalId": logical_id}}
    return json.dumps(document, indent=2) + "\n"


def write_item(
    root: Path,
    item_type: str,
    name: str,
    parts: Mapping[str, str | bytes] | None = None,
    *,
    folder: str = "",
    logical_id: str | None = None,
    description: str = "",
) -> str:
    """Write `<root>/<folder>/<name>.<type>/` with its `.platform` and `parts`; returns its logical id."""
    logical_id = logical_id or str(uuid.uuid4())
    directory = root / folder / f"{name}.{item_type}" if folder else root / f"{name}.{item_type}"
    write_file(directory / ".platform", platform(item_type, name, logical_id, description))
    for relative, content in (parts or {}).items():
        write_file(directory / relative, content)
    return logical_id


def write_file(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def notebook(code: str) -> dict[str, str]:
    return {"notebook-content.py": "# Fabric notebook source\n\n# CELL ********************\n\n" + code + "\n"}


def pipeline_running(activities: list[dict[str, Any]]) -> dict[str, str]:
    return {"pipeline-content.json": json.dumps({"properties": {"activities": activities}}, indent=2) + "\n"}


def notebook_activity(notebook_id: str) -> dict[str, Any]:
    return {
        "name": "Run",
        "type": "TridentNotebook",
        "typeProperties": {"notebookId": notebook_id, "workspaceId": ZERO_GUID},
    }


def pipeline_activity(pipeline_id: str) -> dict[str, Any]:
    properties = {"pipelineId": pipeline_id, "workspaceId": ZERO_GUID}
    return {"name": "Invoke", "type": "InvokePipeline", "typeProperties": properties}


def new_source(cwd: Path, config: str = CONFIG) -> Path:
    """An empty source folder `cwd/src` with a workspace-config.yaml."""
    root = cwd / SOURCE
    write_file(root / "workspace-config.yaml", config)
    return root


# --- running fabctl against the emulator ----------------------------------------------------------


def fabctl(cwd: Path, emulator: RunningEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, *args, "--fabric-url", emulator.url)


def fabctl_json(cwd: Path, emulator: RunningEmulator, *args: str, expect_code: int = 0) -> Any:
    return run_json(cwd, *args, "--fabric-url", emulator.url, expect_code=expect_code)


def deploy(cwd: Path, emulator: RunningEmulator, *args: str, expect_code: int = 0) -> Any:
    return fabctl_json(cwd, emulator, "deploy", SOURCE, "--env", "dev", *args, expect_code=expect_code)


def plan(cwd: Path, emulator: RunningEmulator, *args: str) -> Any:
    return fabctl_json(cwd, emulator, "plan", SOURCE, "--env", "dev", *args)


def one_error_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """Exit `code`, no traceback, a single `error: ...` line on stderr; that line."""
    output = f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == code, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


# --- what the emulator holds and was asked ---------------------------------------------------------


def workspace(emulator: RunningEmulator, name: str = DEV_WORKSPACE) -> dict[str, Any]:
    found: list[dict[str, Any]] = [w for w in snapshot(emulator)["workspaces"] if w["displayName"] == name]
    assert len(found) == 1, f"no single workspace named {name!r}"
    return found[0]


def items(emulator: RunningEmulator, name: str = DEV_WORKSPACE) -> dict[str, dict[str, Any]]:
    """The workspace's items by `Name.Type`."""
    return {f"{i['displayName']}.{i['type']}": i for i in workspace(emulator, name)["items"]}


def parts(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parts the emulator stores for `item` (a definitionless type has none)."""
    definition = item.get("definition") or {}
    found: list[dict[str, Any]] = definition.get("parts", [])
    return found


def part(item: Mapping[str, Any], path: str) -> str:
    """A part's text (or the base64 of a binary part) as the emulator stores it."""
    found = [p for p in parts(item) if p["path"] == path]
    assert len(found) == 1, f"{item['displayName']} has no part {path!r}: {[p['path'] for p in parts(item)]}"
    return str(found[0].get("text") if found[0].get("text") is not None else found[0]["base64"])


def part_bytes(item: Mapping[str, Any], path: str) -> bytes:
    found = next(p for p in parts(item) if p["path"] == path)
    if found.get("base64") is not None:
        return base64.b64decode(found["base64"])
    return str(found["text"]).encode("utf-8")


def calls(emulator: RunningEmulator) -> dict[str, int]:
    """The request log by route template, e.g. {"POST /v1/workspaces/{workspaceId}/items": 3}."""
    by_route: dict[str, int] = requests_log(emulator)["byRoute"]
    return by_route


GET_DEFINITION = "POST /v1/workspaces/{workspaceId}/items/{itemId}/getDefinition"


def api(emulator: RunningEmulator, method: str, path: str, body: Any = None) -> Any:
    """A call to the emulator's public API, as a person working in the workspace by hand would make."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(f"{emulator.url}/{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Bearer someone-by-hand")
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def text_part(path: str, text: str) -> dict[str, str]:
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {"path": path, "payload": payload, "payloadType": "InlineBase64"}


def since(emulator: RunningEmulator, before: Mapping[str, int]) -> dict[str, int]:
    """Calls by route made since `before` (an earlier `calls(emulator)`), zeros left out."""
    now = calls(emulator)
    return {route: n - before.get(route, 0) for route, n in now.items() if n != before.get(route, 0)}


def writes_since(emulator: RunningEmulator, before: Mapping[str, int]) -> dict[str, int]:
    """The calls that changed the tenant since `before`: every POST, PATCH and DELETE but getDefinition."""
    changed = since(emulator, before)
    return {
        r: n
        for r, n in changed.items()
        if r.split(" ")[0] in ("POST", "PATCH", "DELETE", "PUT") and r != GET_DEFINITION
    }
