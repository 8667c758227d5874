"""fabctl vs fabric-cicd 1.4.0: wall time, API calls and peak memory of a deployment, against the emulator.

    python benchmarks/deploy_benchmark.py [--items 200] [--latency-ms 50] [--lro-ms 2000] [--profile fast|recorded]
                                          [--state-store sqlite|azure]

One emulator (`fabctl emulator serve`) is started with a per-request latency and a long-running-operation
duration; a synthetic workspace is generated (benchmarks/generate_workspace.py); then, each in a fresh
emulator tenant (POST /_emulator/reset):

  (a) fabctl first deploy     `fabctl deploy SRC --env bench --fabric-url URL` in its own working directory
  (b) fabctl no-op redeploy   the same command again, nothing changed
      with --stateless-noop, once more from a working directory without fabctl's state (.fabctl/), as a CI
      runner that keeps no state would: fabctl then reads every live definition to find that nothing changed
      with --state-store azure, in a fresh tenant, with fabctl's state in Azurite (tests/support/azurite_process.py):
  (a_az) fabctl first deploy      the same command, state in a new table and container of Azurite
  (b_az) fabctl no-op redeploy    the same command from a NEW working directory (a runner with no local state),
                                  state in the same table: what a CI runner sharing its state in Azure Storage does
  (c) fabric-cicd first publish   publish_all_items into a new workspace on the emulator's capacity
  (d) fabric-cicd redeploy        publish_all_items again, nothing changed

and, for the memory check (benchmarks/memory_check.py), (a) again, --memory-repeats times, on the workspace and
on three variants of it: every definition --memory-scale times bigger, the items --memory-copies times over
(renamed), and both; fabctl only (fabric-cicd takes minutes per run, and the target is fabctl's own growth).
`--memory-only` runs just the check: fabctl's first deploy of the workspace and of its variants, nothing else.

Every tool runs in its own subprocess. Wall time is measured around the subprocess; API calls come from the
emulator's request log (GET /_emulator/requests, diffed around the run; the admin surface is not counted):
polls are GET /v1/operations/{id}[/result], writes are POST/PATCH/PUT/DELETE except getDefinition (a POST that
changes nothing), reads are everything else; `early` counts the polls (among `polls`) the emulator refused
with a 429 for coming sooner than their operation's Retry-After (the recorded profile's `refuse_early_polls`,
ADR 0029). Peak memory is the subprocess's own ru_maxrss (os.wait4). With Azure state, the result column also
counts the requests Azurite answered during the run (its access log, one line per request).
Figures go to stdout; progress to stderr. Speed and memory are targets to read, not assertions: nothing here
fails on a slow figure.

Why these defaults: 50 ms per response is the low end of a CI runner talking to the Fabric API in its own
region (a low latency flatters the tool that makes more calls, so it is the conservative choice); 2 s is the
low end of what Fabric takes to create or update an item with a definition as a long-running operation.
Throttling and faults stay off. fabric-cicd's retry and poll delays are NOT overridden (the test harness
sets them to 0, which makes it busy-poll operations): it sleeps as it would against Fabric.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPOSITORY / "tests" / "support"))

from azurite_process import RunningAzurite, fresh_name, running_azurite  # noqa: E402
from emulator_process import RunningEmulator, requests_log, reset, running_emulator  # noqa: E402
from generate_workspace import GeneratedWorkspace, generate  # noqa: E402
from memory_check import MemoryCase, Variant, variants  # noqa: E402
from memory_check import report as memory_report  # noqa: E402

FABCTL = [sys.executable, "-m", "fabctl.entrypoints.cli.main"]
FABRIC_CICD_CHILD = HERE / "fabric_cicd_child.py"
ENVIRONMENT = "bench"
TOKEN = "benchmark-token"
# fabric-cicd reads these at import: the URL ones would fail its https check, the others must not change its behaviour.
FABRIC_CICD_ENV_CLEARED = (
    "DEFAULT_API_ROOT_URL", "FABRIC_API_ROOT_URL", "FABRIC_CICD_HTTP_TRACE_ENABLED", "FABRIC_CICD_HTTP_TRACE_FILE",
    "FABRIC_CICD_FILE_LOGGING_ENABLED", "FABRIC_CICD_PARALLEL_MAX_WORKERS", "FABRIC_CICD_RETRY_AFTER_SECONDS",
    "FABRIC_CICD_RETRY_BASE_DELAY_SECONDS", "FABRIC_CICD_RETRY_DELAY_OVERRIDE_SECONDS",
)  # fmt: skip
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
READ_ROUTES_SENT_AS_POST = ("/getDefinition",)  # a POST that changes nothing
OPERATION_ROUTE_PREFIX = "GET /v1/operations/"


@dataclass(frozen=True)
class Calls:
    total: int
    reads: int
    writes: int
    polls: int
    by_route: dict[str, int]
    early_polls: int = 0  # polls refused for coming sooner than their operation asked (the recorded profile)

    @classmethod
    def between(cls, before: dict[str, Any], after: dict[str, Any]) -> Calls:
        routes = {
            route: count - before["byRoute"].get(route, 0)
            for route, count in after["byRoute"].items()
            if count - before["byRoute"].get(route, 0) > 0
        }
        polls = sum(n for r, n in routes.items() if r.startswith(OPERATION_ROUTE_PREFIX))
        writes = sum(
            n for r, n in routes.items()
            if r.split(" ", 1)[0] in WRITE_METHODS and not r.endswith(READ_ROUTES_SENT_AS_POST)
        )  # fmt: skip
        total = sum(routes.values())
        early = after.get("earlyPolls", 0) - before.get("earlyPolls", 0)
        return cls(total, total - writes - polls, writes, polls, routes, early)


@dataclass(frozen=True)
class Run:
    label: str
    seconds: float
    calls: Calls
    peak_rss_kib: int
    detail: str


# -- subprocesses ----------------------------------------------------------------------------------


def run_measured(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int, float, int, str, str]:
    """(exit code, wall seconds, peak RSS KiB of the child, stdout, stderr). The child is killed after `timeout`."""
    out_path, err_path = cwd / "stdout.log", cwd / "stderr.log"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        timer = threading.Timer(timeout, process.kill)  # by its own PID only
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keep Popen consistent
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return process.returncode, seconds, peak, out_path.read_text(), err_path.read_text()


def measured(
    label: str, emulator: RunningEmulator, command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[Run, str]:
    progress(f"{label} ...")
    before = requests_log(emulator)
    code, seconds, peak, stdout, stderr = run_measured(command, cwd, env, timeout)
    calls = Calls.between(before, requests_log(emulator))
    if code != 0:
        tail = "\n".join(stderr.splitlines()[-40:])
        raise SystemExit(f"{label} failed (exit code {code}, after {seconds:.1f} s); logs in {cwd}\n{tail}")
    progress(f"{label}: {seconds:.1f} s, {calls.total} calls ({calls.writes} writes), peak RSS {peak / 1024:.0f} MiB")
    return Run(label, seconds, calls, peak, ""), stdout


def fabctl_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env.update(NO_COLOR="1", FABCTL_USER="benchmark")
    return env


def fabric_cicd_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FABRIC_CICD_ENV_CLEARED}
    for name in ("NO_PROXY", "no_proxy"):  # requests honours proxy variables; the emulator is local
        env[name] = ",".join(filter(None, [env.get(name, ""), "127.0.0.1", "localhost", "::1"]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def azure_state_env(azurite: RunningAzurite) -> dict[str, str]:
    """fabctl's environment with its state in Azurite, in a table and a container no other run uses."""
    env = fabctl_env()
    env.update(
        FABCTL_STATE_STORE="azure",
        FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string,
        FABCTL_STATE_TABLE=fresh_name("bench"),
        FABCTL_STATE_CONTAINER=fresh_name("bench"),
    )
    return env


def storage_requests(azurite: RunningAzurite) -> int:
    """Requests Azurite has answered so far: the lines of its access log that name an HTTP method."""
    return sum(1 for line in azurite.log.read_text(errors="replace").splitlines() if '" ' in line and " HTTP/" in line)


def fabctl_deploy(
    label: str,
    emulator: RunningEmulator,
    source: Path,
    cwd: Path,
    timeout: float,
    *,
    env: dict[str, str] | None = None,
    azurite: RunningAzurite | None = None,
) -> Run:
    """`fabctl deploy` in `cwd`; with `azurite` (and `env` naming it), the result also counts its requests."""
    cwd.mkdir(parents=True, exist_ok=True)
    command = [*FABCTL, "deploy", str(source), "--env", ENVIRONMENT, "--fabric-url", emulator.url, "--output", "json"]
    before = storage_requests(azurite) if azurite else 0
    run, stdout = measured(label, emulator, command, cwd, env or fabctl_env(), timeout)
    detail = _fabctl_summary(stdout)
    if azurite:
        detail += f"; {storage_requests(azurite) - before} storage requests"
    return Run(run.label, run.seconds, run.calls, run.peak_rss_kib, detail)


def _fabctl_summary(stdout: str) -> str:
    """'committed: 180 create, 20 no-op' from `fabctl deploy --output json`; the raw tail if the shape differs."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        return stdout.strip()[-80:]
    changes = document.get("plan", {}).get("changes", [])
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change.get("kind", "?")] = kinds.get(change.get("kind", "?"), 0) + 1
    actions = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "nothing planned"
    return f"{document.get('state', '?')}: {actions}"


def fabric_cicd_publish(
    label: str, emulator: RunningEmulator, workspace: GeneratedWorkspace, workspace_id: str, cwd: Path, timeout: float
) -> Run:
    cwd.mkdir(parents=True, exist_ok=True)
    config = {
        "api_url": emulator.root,
        "repository_dir": str(workspace.root.resolve()),
        "workspace_id": workspace_id,
        "item_types": workspace.item_types,
        "environment": ENVIRONMENT,
    }
    command = [sys.executable, str(FABRIC_CICD_CHILD), json.dumps(config)]
    run, stdout = measured(label, emulator, command, cwd, fabric_cicd_env(), timeout)
    return Run(
        run.label, run.seconds, run.calls, run.peak_rss_kib, stdout.strip().splitlines()[-1] if stdout.strip() else ""
    )


# -- emulator ----------------------------------------------------------------------------------------


def api(emulator: RunningEmulator, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.root}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def workspace_on_capacity(emulator: RunningEmulator, name: str) -> str:
    """fabric-cicd needs an existing workspace with a capacity (it creates none); fabctl creates its own."""
    capacities = api(emulator, "GET", "/v1/capacities").get("value", [])
    if not capacities:
        raise SystemExit("the emulator lists no capacity")
    created = api(emulator, "POST", "/v1/workspaces", {"displayName": name, "capacityId": capacities[0]["id"]})
    return str(created["id"])


# -- the benchmark -------------------------------------------------------------------------------------


def fabric_cicd_version() -> str:
    try:
        return importlib.metadata.version("fabric-cicd")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            "fabric-cicd is not installed in this Python; it comes with the dev extras: "
            ".venv/bin/pip install -e '.[dev]' (or run bash scripts/test.sh once)"
        ) from None


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def benchmark_pair(
    emulator: RunningEmulator,
    workspace: GeneratedWorkspace,
    workdir: Path,
    timeout: float,
    *,
    stateless: bool = False,
    azurite: RunningAzurite | None = None,
) -> list[Run]:
    """(a), (b) and, with `stateless`, (b'); with `azurite`, (a_az) and (b_az) in a fresh tenant; then (c) and (d)
    in a fresh tenant."""
    n = len(workspace.items)
    reset(emulator)
    fabctl_dir = workdir / f"fabctl-{n}"
    runs = [
        fabctl_deploy(f"fabctl first deploy (N={n})", emulator, workspace.root, fabctl_dir, timeout),
        fabctl_deploy(f"fabctl no-op redeploy (N={n})", emulator, workspace.root, fabctl_dir, timeout),
    ]
    if stateless:
        # The same no-op from a working directory without .fabctl/ (a CI runner that keeps no state): fabctl has no
        # record of what it deployed, so it must read the live definitions to find that nothing changed.
        label = f"fabctl no-op, no local state (N={n})"
        runs.append(fabctl_deploy(label, emulator, workspace.root, workdir / f"fabctl-{n}-no-state", timeout))
    if azurite:
        runs += azure_state_runs(emulator, azurite, workspace, workdir, timeout)
    reset(emulator)  # a fresh tenant: the two tools never see each other's items
    workspace_id = workspace_on_capacity(emulator, f"Benchmark fabric-cicd {n}")
    for label, directory in (
        ("fabric-cicd first publish", f"fabric-cicd-{n}"),
        ("fabric-cicd redeploy", f"fabric-cicd-{n}-again"),
    ):
        runs.append(
            fabric_cicd_publish(f"{label} (N={n})", emulator, workspace, workspace_id, workdir / directory, timeout)
        )
    return runs


def azure_state_runs(
    emulator: RunningEmulator, azurite: RunningAzurite, workspace: GeneratedWorkspace, workdir: Path, timeout: float
) -> list[Run]:
    """(a_az) and (b_az): the first deploy and the no-op with the state in Azurite, each in its own working
    directory, so the no-op runs as a new runner would, with no `.fabctl/` (nor anything else) on its disk."""
    n = len(workspace.items)
    reset(emulator)  # a fresh tenant: the SQLite runs' workspace is not there
    env = azure_state_env(azurite)
    return [
        fabctl_deploy(
            f"fabctl first deploy, Azurite (N={n})", emulator, workspace.root, workdir / f"fabctl-{n}-azure",
            timeout, env=env, azurite=azurite,
        ),
        fabctl_deploy(
            f"fabctl no-op, new runner, Azurite (N={n})", emulator, workspace.root,
            workdir / f"fabctl-{n}-azure-new-runner", timeout, env=env, azurite=azurite,
        ),
    ]  # fmt: skip


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.1f}x" if denominator else "inf"


def report(
    args: argparse.Namespace,
    main: GeneratedWorkspace,
    runs: list[Run],
    memory: list[MemoryCase],
) -> None:
    kib = 1024
    print(f"fabctl vs fabric-cicd 1.4.0 against the emulator: {len(main.items)} items {main.counts()}")
    knobs = (
        f"--profile {args.profile} --latency-ms {args.latency_ms} --lro-ms {args.lro_ms} "
        f"--sql-endpoint-ms {args.sql_endpoint_ms}"
    )
    sizes = f"{main.total_definition_bytes / kib:.0f} KiB, largest {main.largest_definition_bytes / kib:.0f} KiB"
    print(f"emulator: {knobs}; definitions {sizes}; seed {args.seed}")
    system = f"{platform.system()} {platform.machine()}"
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {system}")
    print()
    columns = f"{'wall s':>8} {'calls':>6} {'reads':>6} {'writes':>6} {'polls':>6} {'early':>6} {'peak RSS MiB':>13}"
    header = f"{'run':<42} {columns}  result"
    print(header)
    print("-" * len(header))
    for run in runs:
        c = run.calls
        figures = (
            f"{run.seconds:>8.1f} {c.total:>6} {c.reads:>6} {c.writes:>6} {c.polls:>6} {c.early_polls:>6} "
            f"{run.peak_rss_kib / kib:>13.1f}"
        )
        print(f"{run.label:<42} {figures}  {run.detail}")
    print()
    by_kind = {run.label.split(" (N=")[0]: run for run in runs}
    if "fabctl no-op redeploy" not in by_kind:  # --memory-only: first deploys only, no ratios to show
        if memory:
            memory_report(memory)
        return
    fabctl_first, fabctl_noop = by_kind["fabctl first deploy"], by_kind["fabctl no-op redeploy"]
    cicd_first, cicd_again = by_kind["fabric-cicd first publish"], by_kind["fabric-cicd redeploy"]
    fabctl_stateless = by_kind.get("fabctl no-op, no local state")
    first_calls = f"{fabctl_first.calls.total} / {cicd_first.calls.total}"
    again_calls = f"{fabctl_noop.calls.total} / {cicd_again.calls.total}"
    print("ratios (targets in brackets)")
    first_speedup = ratio(cicd_first.seconds, fabctl_first.seconds)
    noop_speedup = ratio(cicd_again.seconds, fabctl_noop.seconds)
    print(f"  first deploy speedup, fabric-cicd / fabctl wall time   [>= 10x]  {first_speedup}")
    print(f"  no-op speedup, fabric-cicd redeploy / fabctl no-op      [>= 50x]  {noop_speedup}")
    print(f"  fabctl no-op write calls                                [0]       {fabctl_noop.calls.writes}")
    if fabctl_stateless is not None:
        stateless_speedup = ratio(cicd_again.seconds, fabctl_stateless.seconds)
        print(f"  no-op speedup without fabctl's local state              [none]    {stateless_speedup}")
        print(f"  fabctl no-op write calls without local state            [0]       {fabctl_stateless.calls.writes}")
    print(
        f"  fabctl / fabric-cicd total calls, first deploy          [<= 1.0]  "
        f"{first_calls} = {fabctl_first.calls.total / max(cicd_first.calls.total, 1):.2f}"
    )
    print(
        f"  fabctl / fabric-cicd total calls, redeploy              [<= 1.0]  "
        f"{again_calls} = {fabctl_noop.calls.total / max(cicd_again.calls.total, 1):.2f}"
    )
    print(
        f"  peak RSS fabctl / fabric-cicd, first deploy                       "
        f"{fabctl_first.peak_rss_kib / kib:.1f} / {cicd_first.peak_rss_kib / kib:.1f} MiB"
    )
    azure_first, azure_noop = (
        by_kind.get("fabctl first deploy, Azurite"),
        by_kind.get("fabctl no-op, new runner, Azurite"),
    )
    if azure_first is not None and azure_noop is not None:
        noop_vs_local = ratio(azure_noop.seconds, fabctl_noop.seconds)
        print(f"  {'no-op, new runner with Azure state / local SQLite state':<56}{'[<= 1.5x]':<10}{noop_vs_local}")
        azure_speedup = ratio(cicd_again.seconds, azure_noop.seconds)
        print(f"  {'no-op speedup, fabric-cicd redeploy / Azure-state no-op':<56}{'[>= 50x]':<10}{azure_speedup}")
        first_vs_local = ratio(azure_first.seconds, fabctl_first.seconds)
        print(f"  {'first deploy, Azure state / SQLite state wall time':<56}{'[<= 1.3x]':<10}{first_vs_local}")
        print(f"  {'fabctl no-op write calls with Azure state':<56}{'[0]':<10}{azure_noop.calls.writes}")
    if memory:
        print()
        memory_report(memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fabctl vs fabric-cicd 1.4.0 against the Fabric emulator.")
    parser.add_argument("--items", type=int, default=200, help="items in the generated workspace [200]")
    parser.add_argument("--latency-ms", type=int, default=50, help="delay the emulator adds to every API response [50]")
    parser.add_argument("--lro-ms", type=int, default=2000, help="duration of every long-running operation [2000]")
    parser.add_argument(
        "--sql-endpoint-ms", type=int, default=1000, help="how long a new Lakehouse's SQL endpoint provisions [1000]"
    )
    parser.add_argument(
        "--profile",
        choices=("fast", "recorded"),
        default="fast",
        help="the emulator's profile: fast (every Retry-After follows the operation) or recorded (Fabric's "
        "recorded Retry-After: 20 s on a create, 120 s on an environment publish) [fast]",
    )
    parser.add_argument(
        "--memory-scale", type=int, default=4, help="definition size factor of the memory check's variants [4]"
    )
    parser.add_argument(
        "--memory-copies", type=int, default=4, help="item count factor of the memory check's variants; 0 skips it [4]"
    )
    parser.add_argument(
        "--memory-repeats",
        type=int,
        default=3,
        help="first deploys per variant in the memory check; its figures are their medians [3]",
    )
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="run only the memory check: fabctl first deploys, no fabric-cicd, no redeploys and no speed ratios",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated workspace [1]")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one tool run is killed [900]")
    parser.add_argument(
        "--stateless-noop",
        action="store_true",
        help="also time the no-op redeploy from a working directory without fabctl's state (.fabctl/)",
    )
    parser.add_argument(
        "--state-store",
        choices=("sqlite", "azure"),
        default="sqlite",
        help="azure: also time fabctl's first deploy and its no-op from a new runner with the state in Azurite "
        "(installed by scripts/test.sh, or FABCTL_AZURITE) [sqlite]",
    )
    parser.add_argument("--keep", action="store_true", help="keep the working directory (sources, logs)")
    args = parser.parse_args(argv)

    cicd_version = fabric_cicd_version()
    if cicd_version != "1.4.0":
        progress(f"warning: fabric-cicd {cicd_version} is installed; the figures in docs/benchmarks.md are for 1.4.0")
    workdir = Path(tempfile.mkdtemp(prefix="fabctl-bench-"))
    progress(f"working directory {workdir}")
    started = time.perf_counter()
    try:
        main_ws = generate(workdir / f"source-{args.items}", args.items, args.seed)
        if args.memory_only and not args.memory_copies:
            raise SystemExit("--memory-only needs --memory-copies above 0")
        checked = (
            variants(workdir, main_ws, args.items, args.seed, args.memory_scale, args.memory_copies)
            if args.memory_copies
            else []
        )
        emulator_args = (
            "--profile",
            args.profile,
            "--latency-ms",
            str(args.latency_ms),
            "--lro-ms",
            str(args.lro_ms),
            "--sql-endpoint-ms",
            str(args.sql_endpoint_ms),
        )
        with contextlib.ExitStack() as running:
            emulator = running.enter_context(running_emulator(*emulator_args, tmp_path=workdir))
            progress(f"emulator at {emulator.url} ({' '.join(emulator_args)})")
            azurite = None
            if args.state_store == "azure" and not args.memory_only:
                azurite = running.enter_context(running_azurite(workdir))
                progress(f"Azurite at {azurite.table_url} (tables), {azurite.blob_url} (blobs)")
            runs = []
            if not args.memory_only:
                runs = benchmark_pair(
                    emulator, main_ws, workdir, args.timeout, stateless=args.stateless_noop, azurite=azurite
                )

            def first_deploy_peak(variant: Variant, attempt: int) -> int:
                reset(emulator)
                n, tag = len(variant.workspace.items), f"x{variant.scale}, copies {variant.copies}"
                run = fabctl_deploy(
                    f"fabctl memory check (N={n}, {tag}) #{attempt}",  # not "first deploy": the ratios key on that
                    emulator,
                    variant.workspace.root,
                    workdir / f"memory-fabctl-{n}-x{variant.scale}-copies{variant.copies}-{attempt}",
                    args.timeout,
                )
                runs.append(run)
                return run.peak_rss_kib

            # Peak RSS varies from run to run (which uploads and bindings coincide): medians.
            repeats = range(1, max(1, args.memory_repeats) + 1)
            memory = [MemoryCase(v, tuple(first_deploy_peak(v, a) for a in repeats)) for v in checked]
        report(args, main_ws, runs, memory)
        progress(f"done in {time.perf_counter() - started:.0f} s")
    finally:
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
