"""Exit codes through the real CLI, as the top-level help and the README state them.

0 success; 1 neither the user's input nor a deployment (a bug, or Fabric failing a call that was
not a deployment's write); 2 a user error, missing credentials included; 3 only when a deployment
failed; 4 changes pending (`plan --detailed-exitcode`). Each case runs `fabctl` in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli import COMMAND, run, run_json

OK, INTERNAL_ERROR, USER_ERROR, DEPLOYMENT_FAILED, CHANGES_PENDING, INTERRUPTED = 0, 1, 2, 3, 4, 130
SOURCE = "sales-workspace"  # the `workspace` fixture's folder name, relative to its parent
REAL_FABRIC = "https://api.fabric.microsoft.com/v1"
BOUND_S = 60  # no case may take longer: nothing here waits on a network


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """Exit `code`, no traceback, exactly one `error: ...` line on stderr; that line."""
    assert result.returncode == code, output_of(result)
    assert "Traceback" not in result.stdout + result.stderr, output_of(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output_of(result)
    return lines[0]


# --- no Azure login, no network -----------------------------------------------------------------


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def without_azure_login(home: Path, proxy_port: int) -> dict[str, str]:
    """The environment of a machine where nobody signed in to Azure and nothing reaches the network.

    No AZURE_*/identity variables, a HOME with no Azure CLI, VS Code or token cache, a PATH with no
    `az`, `azd` or `pwsh`, and every HTTP(S) request (the managed identity endpoint's probe, Entra
    ID, Fabric) sent to a loopback proxy that refuses the connection.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FABCTL_", "AZURE_", "IDENTITY_", "MSI_", "IMDS_", "ARM_", "MSAL_"))
        and k.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    }
    proxy = f"http://127.0.0.1:{proxy_port}"
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PATH=os.path.dirname(sys.executable),
        NO_COLOR="1",
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        http_proxy=proxy,
        https_proxy=proxy,
        NO_PROXY="",
        no_proxy="",
    )
    return env


def run_without_login(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    with refused_port() as port:
        return subprocess.run(
            [*COMMAND, *args],
            cwd=cwd,
            env=without_azure_login(home, port),
            capture_output=True,
            text=True,
            timeout=BOUND_S,
        )


def test_a_plan_without_azure_credentials_is_one_user_error_line_saying_what_to_set(workspace: Path) -> None:
    result = run_without_login(workspace.parent, "plan", SOURCE, "--env", "dev", "--fabric-url", REAL_FABRIC)

    line = one_error_line(result, USER_ERROR)
    assert result.stdout == "", output_of(result)
    assert "az login" in line, line
    for variable in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        assert variable in line, line
    # azure-identity's own account of every credential it tried is not the user's message.
    assert "Attempted credentials" not in result.stderr, output_of(result)
    assert "EnvironmentCredential" not in result.stderr, output_of(result)
    assert not (workspace.parent / ".fabctl" / "fabctl.log").exists(), "a user error is not an internal error"


def test_missing_credentials_in_json_mode_are_one_document_and_one_line(workspace: Path) -> None:
    result = run_without_login(
        workspace.parent, "plan", SOURCE, "--env", "dev", "--fabric-url", REAL_FABRIC, "--output", "json"
    )

    line = one_error_line(result, USER_ERROR)
    error = json.loads(result.stdout)["error"]
    assert line == f"error: {error['message']}", output_of(result)
    assert "az login" in error["message"]
    assert "Attempted credentials" not in result.stdout, output_of(result)


# --- Fabric refusing or failing a call outside a deployment ---------------------------------------


@contextmanager
def fabric_answering(status: int, error_code: str, message: str) -> Iterator[str]:
    """A loopback HTTP server answering every request with this Fabric error; yields its /v1 URL."""
    body = json.dumps({"errorCode": error_code, "message": message, "requestId": str(uuid.uuid4())}).encode()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("status", "error_code"),
    [(401, "InvalidToken"), (403, "InsufficientPrivileges")],
    ids=["401", "403"],
)
def test_fabric_refusing_the_identity_on_a_plan_is_a_user_error(workspace: Path, status: int, error_code: str) -> None:
    with fabric_answering(status, error_code, "The caller is not authorized") as url:
        result = run(workspace.parent, "plan", SOURCE, "--env", "dev", "--fabric-url", url)

    line = one_error_line(result, USER_ERROR)
    assert error_code in line, line


def test_fabric_failing_a_plan_is_not_a_failed_deployment(workspace: Path) -> None:
    with fabric_answering(400, "BadRequest", "The request is malformed") as url:
        result = run(workspace.parent, "plan", SOURCE, "--env", "dev", "--fabric-url", url)

    line = one_error_line(result, INTERNAL_ERROR)
    assert "BadRequest" in line and "GET" in line, line  # names the call that failed


@contextmanager
def fabric_that_never_answers() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server that takes requests and holds them unanswered; yields its URL and an event
    set once a request has arrived."""
    arrived, release = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrived.set()
            release.wait(BOUND_S)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", arrived
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_ctrl_c_during_a_plan_exits_130_with_one_line(workspace: Path) -> None:
    with fabric_that_never_answers() as (url, arrived):
        process = subprocess.Popen(
            [*COMMAND, "plan", SOURCE, "--env", "dev", "--fabric-url", url],
            cwd=workspace.parent,
            env={k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")} | {"NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert arrived.wait(BOUND_S), "the plan never called Fabric"
            process.send_signal(signal.SIGINT)  # the plan is waiting on Fabric's answer
            stdout, stderr = process.communicate(timeout=BOUND_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    line = one_error_line(result, INTERRUPTED)
    assert "interrupted" in line, line


# --- plan --detailed-exitcode -----------------------------------------------------------------------


def test_plan_detailed_exitcode_is_4_with_changes_0_without_and_2_on_a_user_error(workspace: Path) -> None:
    cwd = workspace.parent

    pending = run(cwd, "plan", SOURCE, "--env", "dev", "--detailed-exitcode")
    assert pending.returncode == CHANGES_PENDING, output_of(pending)
    assert "create" in pending.stdout, output_of(pending)
    assert run_json(cwd, "plan", SOURCE, "--env", "dev", "--detailed-exitcode", expect_code=CHANGES_PENDING)["summary"][
        "create"
    ]

    run_json(cwd, "deploy", SOURCE, "--env", "dev")
    settled = run(cwd, "plan", SOURCE, "--env", "dev", "--detailed-exitcode")
    assert settled.returncode == OK, output_of(settled)
    plain = run(cwd, "plan", SOURCE, "--env", "test")
    assert plain.returncode == OK, output_of(plain)  # without the flag, pending changes are a success

    one_error_line(run(cwd, "plan", SOURCE, "--env", "nope", "--detailed-exitcode"), USER_ERROR)


# --- a deployment that failed ---------------------------------------------------------------------


def add_report_fabric_refuses(source: Path) -> None:
    """A report without a definition: Fabric (the local one too) refuses to create it."""
    folder = source / "Empty Report.Report"
    folder.mkdir()
    platform = {
        "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
        "metadata": {"type": "Report", "displayName": "Empty Report"},
        "config": {"version": "2.0", "logicalId": str(uuid.uuid4())},
    }
    (folder / ".platform").write_text(json.dumps(platform), encoding="utf-8")


def result_header(result: subprocess.CompletedProcess[str]) -> str:
    """The line above the result table (after the progress lines): where it went and how it ended."""
    headers = [line for line in result.stdout.splitlines() if line.startswith(("Deployed to", "Deployment to"))]
    assert len(headers) == 1, output_of(result)
    return headers[0]


def test_a_rolled_back_deployment_exits_3_and_does_not_say_deployed(workspace: Path) -> None:
    add_report_fabric_refuses(workspace)

    result = run(workspace.parent, "deploy", SOURCE, "--env", "prod")  # protected: rolls back

    assert result.returncode == DEPLOYMENT_FAILED, output_of(result)
    assert "rolled_back" in result.stdout, output_of(result)
    assert "Deployed to" not in result.stdout, output_of(result)
    header = result_header(result)
    assert header.startswith("Deployment to environment prod") and "rolled back" in header, output_of(result)


def test_a_failed_deployment_that_stopped_does_not_say_deployed(workspace: Path) -> None:
    add_report_fabric_refuses(workspace)

    result = run(workspace.parent, "deploy", SOURCE, "--env", "dev", "--on-error", "stop")

    assert result.returncode == DEPLOYMENT_FAILED, output_of(result)
    assert "Deployed to" not in result.stdout, output_of(result)
    header = result_header(result)
    assert header.startswith("Deployment to environment dev") and header.endswith("failed"), output_of(result)


# --- events --limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_events_limit_below_one_is_refused(workspace: Path, limit: str) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", SOURCE, "--env", "dev")  # so there are events to hide

    result = run(cwd, "events", "--limit", limit)

    assert result.returncode == USER_ERROR, output_of(result)
    assert "--limit" in result.stderr, output_of(result)
    assert "No events" not in result.stdout, output_of(result)


def test_events_limit_takes_the_most_recent(workspace: Path) -> None:
    cwd = workspace.parent
    run_json(cwd, "deploy", SOURCE, "--env", "dev")
    every = run_json(cwd, "events", "--limit", "100000")

    last = run_json(cwd, "events", "--limit", "1")

    assert len(every) > 1
    assert last == every[-1:]


# --- user errors are 2 in every command ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("plan", SOURCE, "--env", "nope"),
        ("deploy", SOURCE, "--env", "nope"),
        ("promote", "request", SOURCE, "--from", "nope", "--user", "alice"),
        ("promote", "show", "no-such-request"),
        ("promote", "approve", "no-such-request", "--user", "bob"),
        ("tx", "show", "no-such-transaction"),
        ("tx", "recover", "no-such-transaction", "--rollback"),
        ("tx", "revert", "no-such-transaction"),
        ("plan", "no-such-folder", "--env", "dev"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_user_error_is_2_in_every_command(workspace: Path, args: tuple[str, ...]) -> None:
    result = run(workspace.parent, *args)

    one_error_line(result, USER_ERROR)


def test_a_usage_error_is_2(tmp_path: Path) -> None:
    result = run(tmp_path, "plan", "--no-such-option")

    assert result.returncode == USER_ERROR, output_of(result)
    assert "No such option" in result.stderr, output_of(result)
