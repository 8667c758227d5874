"""Every knob of the emulator, validated once: `EmulatorOptions`.

The CLI builds one from its flags; `POST /_emulator/config` derives a new one from a JSON subset
(`with_changes`), so a running server is re-tuned through the same validation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

FAULT_KINDS = ("500", "reset", "token-expired", "failed-operation")

# What `POST /_emulator/config` may change. The rest (address, TLS, storage, tenant rules) is
# fixed when the server starts: changing it would need a new socket or a new tenant.
RUNTIME_KNOBS = frozenset(
    {
        "fault_rate",
        "fault_kinds",
        "fault_weights",
        "throttle_rpm",
        "throttle_window_s",
        "latency_ms",
        "lro_ms",
        "lro_share",
        "page_size",
        "seed",
        "reserved_name_status",
        "create_retry_after_s",
        "publish_ms",
        "publish_retry_after_s",
        "failing_publishes",
        "refuse_early_polls",
        "job_ms",
        "job_failure_rate",
        "failing_jobs",
    }
)

# Named sets of the knobs whose recorded values make a client wait: `recorded` is what Fabric sent
# (and the defaults), and a poll sooner than it asked is throttled (ADR 0029); `fast` lets every
# Retry-After follow the operation's own duration (tests) and refuses no poll.
PROFILES: dict[str, dict[str, int | bool]] = {
    "recorded": {"create_retry_after_s": 20, "publish_retry_after_s": 120, "refuse_early_polls": True},
    "fast": {"create_retry_after_s": 0, "publish_retry_after_s": 0, "refuse_early_polls": False},
}


def profile_knobs(name: str) -> dict[str, int | bool]:
    """The knob values of profile `name`; ValueError names the known profiles."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}")
    return dict(PROFILES[name])


def parse_fault_kinds(kinds: str | Iterable[str]) -> tuple[str, ...]:
    """`"500,reset"` or `["500", "reset"]` as a tuple of known kinds, in the canonical order."""
    given = [k.strip() for k in kinds.split(",")] if isinstance(kinds, str) else [str(k).strip() for k in kinds]
    chosen = {k for k in given if k}
    unknown = sorted(chosen - set(FAULT_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}; expected some of {', '.join(FAULT_KINDS)}")
    return tuple(k for k in FAULT_KINDS if k in chosen)


def parse_fault_weights(weights: str | Mapping[str, Any]) -> dict[str, float]:
    """`"failed-operation=4"` or `{"failed-operation": 4}`: how much likelier a kind is drawn than one
    of weight 1 (every kind unnamed). A kind that only some requests can get (failed-operation needs a
    request that may answer 202) is drawn less often overall: a weight evens that out."""
    if isinstance(weights, str):
        pairs = [p.partition("=") for p in (w.strip() for w in weights.split(",")) if p]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError("fault weights must be KIND=WEIGHT, comma-separated, e.g. failed-operation=4")
        given: Mapping[str, Any] = {k.strip(): v.strip() for k, _, v in pairs}
    else:
        given = weights
    unknown = sorted(set(given) - set(FAULT_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}; expected some of {', '.join(FAULT_KINDS)}")
    parsed: dict[str, float] = {}
    for kind, weight in given.items():
        try:
            number = float(weight) if not isinstance(weight, bool) else -1.0
        except (TypeError, ValueError):
            number = -1.0
        if number <= 0:
            raise ValueError(f"the weight of fault kind {kind} must be a number > 0")
        parsed[kind] = number
    return {k: parsed[k] for k in FAULT_KINDS if k in parsed}


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator listens, stores and misbehaves. Defaults give a faultless Fabric that asks
    clients to wait as long as the recorded one did (profile `recorded`)."""

    host: str = "127.0.0.1"
    port: int = 0
    state_dir: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    page_size: int = 0
    throttle_rpm: int = 0
    throttle_window_s: float = 60.0  # Fabric's window is a minute; tests shorten it
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    fault_weights: Mapping[str, float] = field(default_factory=dict)  # by kind; unnamed kinds weigh 1
    seed: int = 0
    latency_ms: int = 0
    lro_ms: int = 1000
    lro_share: float = 1.0
    name_reservation_seconds: float = 0.0
    reserved_name_status: int = 409
    sql_endpoint_ms: int = 1000
    # Retry-After of a create's 202 (and of its polls while it runs), and of an environment publish:
    # at least this many seconds, never less than the operation's remaining time (ADR 0024).
    create_retry_after_s: int = int(PROFILES["recorded"]["create_retry_after_s"])
    publish_retry_after_s: int = int(PROFILES["recorded"]["publish_retry_after_s"])
    # A poll of an operation (or of its /result) sooner than the floor of the Retry-After its last
    # answer gave is answered 429 RequestBlocked (operations.py, ADR 0029).
    refuse_early_polls: bool = bool(PROFILES["recorded"]["refuse_early_polls"])
    # Environment publishing (environment_routes): how long it runs, and the environments (display
    # names) whose publish fails.
    publish_ms: int = 1000
    failing_publishes: tuple[str, ...] = ()
    # Item jobs (job_routes): how long a job instance runs, the items (display names) whose jobs fail,
    # and the share of the other jobs that fail (drawn from the seeded dice).
    job_ms: int = 1000
    failing_jobs: tuple[str, ...] = ()
    job_failure_rate: float = 0.0
    # An authority (https://HOST/TENANT) whose signed tokens for Fabric every API request must carry
    # (token_check.py); "" = tokens are not verified, only told apart.
    token_authority: str = ""

    def __post_init__(self) -> None:
        knobs = ("port", "page_size", "throttle_rpm", "latency_ms", "lro_ms", "sql_endpoint_ms", "publish_ms", "job_ms")
        for name in (*knobs, "create_retry_after_s", "publish_retry_after_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        for name in ("fault_rate", "lro_share", "job_failure_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.throttle_window_s <= 0:
            raise ValueError("throttle_window_s must be > 0")
        if self.name_reservation_seconds < 0:
            raise ValueError("name_reservation_seconds must be >= 0")
        if self.reserved_name_status not in (400, 409):
            raise ValueError("reserved_name_status must be 400 or 409")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key must be given together")
        if self.token_authority and not self.token_authority.startswith("https://"):
            raise ValueError("token_authority must be an https:// URL such as https://login.microsoftonline.com/TENANT")
        object.__setattr__(self, "fault_kinds", parse_fault_kinds(self.fault_kinds))
        object.__setattr__(self, "fault_weights", parse_fault_weights(self.fault_weights))
        object.__setattr__(self, "failing_publishes", tuple(self.failing_publishes))
        object.__setattr__(self, "failing_jobs", tuple(self.failing_jobs))

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def runtime_view(self) -> dict[str, Any]:
        """The knobs `POST /_emulator/config` accepts, with their current values."""
        view = {f.name: getattr(self, f.name) for f in fields(self) if f.name in RUNTIME_KNOBS}
        view["fault_kinds"] = list(self.fault_kinds)
        view["fault_weights"] = dict(self.fault_weights)
        view["failing_publishes"] = list(self.failing_publishes)
        view["failing_jobs"] = list(self.failing_jobs)
        return view

    def with_changes(self, changes: Mapping[str, Any]) -> EmulatorOptions:
        """A copy with `changes` (a JSON object) applied; ValueError names the offending knob."""
        unknown = sorted(set(changes) - RUNTIME_KNOBS)
        if unknown:
            expected = ", ".join(sorted(RUNTIME_KNOBS))
            raise ValueError(f"not a runtime knob: {', '.join(unknown)}; expected some of {expected}")
        typed: dict[str, Any] = {}
        for name, value in changes.items():
            typed[name] = _typed(name, value)
        return replace(self, **typed)


def _typed(name: str, value: Any) -> Any:
    # JSON has no int/float distinction worth trusting and bool is an int in Python: check by hand.
    if name == "fault_kinds":
        strings = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not strings:
            raise ValueError("fault_kinds must be a list of strings or a comma-separated string")
        return parse_fault_kinds(value)
    if name == "fault_weights":
        if not isinstance(value, dict):
            raise ValueError("fault_weights must be an object of fault kind to weight")
        return parse_fault_weights(value)
    if name == "refuse_early_polls":
        if not isinstance(value, bool):
            raise ValueError("refuse_early_polls must be true or false")
        return value
    if name == "failing_publishes":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("failing_publishes must be a list of environment display names")
        return tuple(value)
    if name == "failing_jobs":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("failing_jobs must be a list of item display names")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if name in ("fault_rate", "lro_share", "throttle_window_s", "job_failure_rate"):
        return float(value)
    if value != int(value):
        raise ValueError(f"{name} must be a whole number")
    return int(value)
