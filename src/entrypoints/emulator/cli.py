"""`fabctl emulator serve`: the flags are the user documentation of every knob (see docs/emulator.md)."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path
from typing import Any

import click

from fabctl.entrypoints.cli.exit_codes import USER_ERROR
from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.emulator.options import (
    FAULT_KINDS,
    PROFILES,
    EmulatorOptions,
    parse_fault_kinds,
    parse_fault_weights,
    profile_knobs,
)

DEFAULTS = EmulatorOptions()


class EmulatorStartError(click.ClickException):
    """The server could not start because of what it was given (port taken, unreadable cert)."""

    exit_code = USER_ERROR


def _fault_kinds(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return parse_fault_kinds(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


def _fault_weights(_ctx: click.Context, _param: click.Parameter, value: str) -> dict[str, float]:
    try:
        return parse_fault_weights(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


@click.group(cls=WholeSummaryGroup)
def emulator() -> None:
    """A local HTTP server that behaves like the Fabric REST API v1.

    For tests, benchmarks and trying fabctl (or fabric-cicd) without a tenant:
    fabctl deploy SOURCE --env dev --fabric-url http://127.0.0.1:PORT/v1
    """


@emulator.command()
@click.option("--host", default=DEFAULTS.host, show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULTS.port,
    show_default=True,
    help="TCP port; 0 picks a free one. The first stdout line is the API base URL, e.g. http://127.0.0.1:43521/v1.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the tenant in DIR/tenant.db, so it survives restarts [default: in memory].",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM certificate (chain): serve https. Needs --tls-key.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM private key for --tls-cert.",
)
@click.option(
    "--page-size",
    type=click.IntRange(min=0),
    default=DEFAULTS.page_size,
    show_default=True,
    help="Items per page of every list (continuationToken/continuationUri); 0 = all in one page.",
)
@click.option(
    "--throttle-rpm",
    type=click.IntRange(min=0),
    default=DEFAULTS.throttle_rpm,
    show_default=True,
    help="Requests per principal (the token's oid/sub claim) in any --throttle-window-s "
    "window before 429 RequestBlocked with Retry-After; 0 = never throttle.",
)
@click.option(
    "--throttle-window-s",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULTS.throttle_window_s,
    show_default=True,
    help="Length of the sliding throttling window, in seconds (Fabric's is a minute).",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=DEFAULTS.fault_rate,
    show_default=True,
    help="Share of API requests (0..1) that get an injected fault from --fault-kinds.",
)
@click.option(
    "--fault-kinds",
    default=",".join(FAULT_KINDS),
    show_default=True,
    callback=_fault_kinds,
    help="Comma-separated faults to draw from: 500 (UnknownError), reset (connection closed "
    "without a response), token-expired (401 TokenExpired), failed-operation (a long-running "
    "operation ends Failed and changes nothing).",
)
@click.option(
    "--fault-weights",
    default="",
    callback=_fault_weights,
    help="Comma-separated KIND=WEIGHT: how much likelier a fault kind is drawn than an unnamed one "
    "(weight 1), e.g. failed-operation=4, as only requests that may answer 202 can get that kind.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULTS.seed,
    show_default=True,
    help="Seed of the random faults and LRO share: the same requests get the same faults.",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=DEFAULTS.latency_ms,
    show_default=True,
    help="Delay added to every API response.",
)
@click.option(
    "--lro-ms",
    type=click.IntRange(min=0),
    default=DEFAULTS.lro_ms,
    show_default=True,
    help="How long a long-running operation takes: NotStarted, Running, then Succeeded/Failed.",
)
@click.option(
    "--lro-share",
    type=click.FloatRange(0, 1),
    default=DEFAULTS.lro_share,
    show_default=True,
    help="Share (0..1) of the requests Fabric may answer 202 (creates of the types recorded as "
    "long-running, getDefinition, updateDefinition) that are answered 202 with a long-running operation "
    "instead of at once; 1 = as recorded, 0 = everything at once.",
)
@click.option(
    "--name-reservation-seconds",
    type=click.FloatRange(min=0),
    default=DEFAULTS.name_reservation_seconds,
    show_default=True,
    help="How long a deleted item's name stays unavailable (ItemDisplayNameNotAvailableYet); 0 = free at once.",
)
@click.option(
    "--reserved-name-status",
    type=click.Choice(["400", "409"]),
    default=str(DEFAULTS.reserved_name_status),
    show_default=True,
    help="HTTP status of ItemDisplayNameNotAvailableYet (the real one is unconfirmed).",
)
@click.option(
    "--sql-endpoint-ms",
    type=click.IntRange(min=0),
    default=DEFAULTS.sql_endpoint_ms,
    show_default=True,
    help="How long a new Lakehouse's SQL endpoint reports provisioningStatus InProgress.",
)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default="recorded",
    show_default=True,
    help="Starting values of the Retry-After knobs below: recorded (what Fabric sent: 20 s on a create, "
    "120 s on an environment publish; an early poll is refused) or fast (every Retry-After follows the "
    "operation's own duration; no poll is refused).",
)
@click.option(
    "--create-retry-after-s",
    type=click.IntRange(min=0),
    default=None,
    help="Retry-After of a create's 202 and of its polls while it runs: at least this many seconds, never "
    "less than the operation's remaining time [default: from --profile, recorded 20].",
)
@click.option(
    "--publish-ms",
    type=click.IntRange(min=0),
    default=DEFAULTS.publish_ms,
    show_default=True,
    help="How long an Environment's staging/publish runs (publishDetails.state Running) before it ends.",
)
@click.option(
    "--job-ms",
    type=click.IntRange(min=0),
    default=DEFAULTS.job_ms,
    show_default=True,
    help="How long an item job instance (jobs/instances) runs (NotStarted, then InProgress) before it ends.",
)
@click.option(
    "--job-failure-rate",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULTS.job_failure_rate,
    show_default=True,
    help="Share of item job instances that end Failed (seeded by --seed); the runtime knob failing_jobs "
    "names items whose jobs always fail.",
)
@click.option(
    "--publish-retry-after-s",
    type=click.IntRange(min=0),
    default=None,
    help="The same for an environment publish (staging/publish) [default: from --profile, recorded 120].",
)
@click.option(
    "--refuse-early-polls/--allow-early-polls",
    default=None,
    help="Answer a poll of an operation (or of its /result) that comes sooner than the floor of the "
    "Retry-After its last answer gave (the two knobs above) with 429 RequestBlocked and the seconds left, "
    "as Fabric throttles such a client [default: from --profile, recorded refuses, fast allows].",
)
@click.option(
    "--require-token-from",
    "token_authority",
    envvar="FABCTL_EMULATOR_TOKEN_AUTHORITY",
    default="",
    metavar="AUTHORITY",
    help="Answer 401 (Fabric's shape) to an API request without a valid token for "
    "https://api.fabric.microsoft.com signed by this authority, e.g. https://login.microsoftonline.com/TENANT "
    "(its OpenID configuration names the keys) [default: $FABCTL_EMULATOR_TOKEN_AUTHORITY, else none].",
)
def serve(
    host: str,
    port: int,
    state_dir: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    page_size: int,
    throttle_rpm: int,
    throttle_window_s: float,
    fault_rate: float,
    fault_kinds: tuple[str, ...],
    fault_weights: dict[str, float],
    seed: int,
    latency_ms: int,
    lro_ms: int,
    lro_share: float,
    name_reservation_seconds: float,
    reserved_name_status: str,
    sql_endpoint_ms: int,
    profile: str,
    create_retry_after_s: int | None,
    publish_ms: int,
    job_ms: int,
    job_failure_rate: float,
    publish_retry_after_s: int | None,
    refuse_early_polls: bool | None,
    token_authority: str,
) -> None:
    """Serve the Fabric REST API v1 until SIGTERM or Ctrl-C (then exit 0).

    \b
    Routes: workspaces (+ assignToCapacity, roleAssignments), items (+ getDefinition,
    updateDefinition, move), folders, typed items (lakehouses, warehouses, sqldatabases,
    mirroreddatabases, eventhouses, kqlDatabases, ...), environments[/{id}] (+ staging/publish),
    items/{id}/jobs/instances[/{id}] (item jobs), shortcuts, connections, capacities, operations/{id}[/result].
    Admin (no auth, faults or latency): POST /_emulator/reset, GET /_emulator/snapshot[?ids=false],
    GET /_emulator/requests, GET|POST /_emulator/config (change fault_rate, fault_kinds, fault_weights,
    throttle_rpm, throttle_window_s, latency_ms, lro_ms, lro_share, page_size, seed, reserved_name_status,
    create_retry_after_s, publish_ms, publish_retry_after_s, failing_publishes, refuse_early_polls, job_ms,
    job_failure_rate, failing_jobs live).
    Tokens are not verified, only told apart, unless --require-token-from names an authority.
    """
    from fabctl.entrypoints.emulator.server import serve as run

    # Explicit flags win over the profile. Any: mypy cannot match a dict of ints to each keyword it fills.
    waits: dict[str, Any] = dict(profile_knobs(profile))
    if create_retry_after_s is not None:
        waits["create_retry_after_s"] = create_retry_after_s
    if publish_retry_after_s is not None:
        waits["publish_retry_after_s"] = publish_retry_after_s
    if refuse_early_polls is not None:
        waits["refuse_early_polls"] = refuse_early_polls
    try:
        options = EmulatorOptions(
            host=host, port=port, state_dir=state_dir, tls_cert=tls_cert, tls_key=tls_key,
            page_size=page_size, throttle_rpm=throttle_rpm, throttle_window_s=throttle_window_s,
            fault_rate=fault_rate, fault_kinds=fault_kinds, fault_weights=fault_weights, seed=seed,
            latency_ms=latency_ms, lro_ms=lro_ms,
            lro_share=lro_share,
            name_reservation_seconds=name_reservation_seconds, reserved_name_status=int(reserved_name_status),
            sql_endpoint_ms=sql_endpoint_ms, publish_ms=publish_ms, job_ms=job_ms, job_failure_rate=job_failure_rate,
            create_retry_after_s=waits["create_retry_after_s"], publish_retry_after_s=waits["publish_retry_after_s"],
            refuse_early_polls=waits["refuse_early_polls"], token_authority=token_authority.strip(),
        )  # fmt: skip
    except ValueError as e:
        raise click.UsageError(str(e)) from e

    def announce(url: str) -> None:
        click.echo(url)
        sys.stdout.flush()
        where = "memory" if state_dir is None else str(state_dir / "tenant.db")
        click.echo(f"fabctl emulator: serving {url} (tenant in {where}); SIGTERM or Ctrl-C stops it", err=True)

    try:
        run(options, announce)
    except (OSError, ssl.SSLError) as e:
        raise EmulatorStartError(f"cannot serve on {host}:{port}: {e}") from e
