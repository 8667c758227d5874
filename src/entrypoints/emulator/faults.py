"""Misbehaviour on purpose: per-principal throttling and seeded random faults.

Both are deterministic given the same request sequence: throttling depends only on arrival times,
and faults on one `random.Random(seed)` that every request draws from in arrival order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WINDOW_SECONDS = 60.0
FRESH_TOKEN_SECONDS = 1.0  # a token this new was just minted: the token-expired fault spares it


def principal_of(authorization: str | None) -> str:
    """Who is calling: the JWT's `oid` (else `sub`) claim, else a hash of the token, else "anonymous".

    The token is never verified (the emulator has no identity provider); it only tells callers apart,
    as Fabric's quotas are per user or service principal.
    """
    if not authorization or not authorization.strip():
        return "anonymous"
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    pieces = token.split(".")
    if len(pieces) == 3:
        try:
            claims = json.loads(base64.urlsafe_b64decode(pieces[1] + "=" * (-len(pieces[1]) % 4)))
        except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
            claims = None
        if isinstance(claims, dict):
            for claim in ("oid", "sub"):
                if isinstance(claims.get(claim), str) and claims[claim]:
                    return str(claims[claim])
    # A hash, not the token: the admin log must never show a credential.
    return "token-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Verdict:
    retry_after: int | None  # seconds; None = admitted
    blocked: bool  # arrived while this principal was blocked (sent early, or already in flight: see early.py)


class Throttle:
    """A sliding window (60 s unless told otherwise) of admitted requests per principal.

    Refused requests do not count towards the window: a client that retries too early is refused
    again, but never pushes its own unblocking further away. Whether a refused request was the
    client's fault is for `early.EarlyRequests` to say.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._admitted: defaultdict[str, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}

    def check(self, principal: str, limit: int, window_s: float = WINDOW_SECONDS) -> Verdict:
        now = self._clock()
        with self._lock:
            blocked = now < self._blocked_until.get(principal, -math.inf)
            if limit <= 0:
                return Verdict(None, blocked)
            window = self._admitted[principal]
            while window and window[0] <= now - window_s:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return Verdict(None, blocked)
            wait = max(1, math.ceil(window[0] + window_s - now))
            self._blocked_until[principal] = now + wait
            return Verdict(wait, blocked)

    def clear(self) -> None:
        with self._lock:
            self._admitted.clear()
            self._blocked_until.clear()


class TokenAges:
    """When each bearer token was first presented, so that the token-expired fault can spare new ones.

    A client answered 401 `TokenExpired` fetches a fresh token and repeats the call once; a real service
    does not call a token minted a moment ago expired, so a client that refused a second time is right to
    give up. The fault, drawn per request, would otherwise expire the fresh token too. Requests without a
    token are never spared: there is no token to renew (fabctl treats that answer as transient).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, fresh_s: float = FRESH_TOKEN_SECONDS) -> None:
        self._clock = clock
        self._fresh_s = fresh_s
        self._lock = threading.Lock()
        self._first_seen: dict[str, float] = {}

    def is_fresh(self, authorization: str | None) -> bool:
        if not authorization or not authorization.strip():
            return False
        key = hashlib.sha256(authorization.strip().encode("utf-8")).hexdigest()  # never the token itself
        now = self._clock()
        with self._lock:
            if len(self._first_seen) > 100_000:  # a runaway client minting tokens: forget, spare anew
                self._first_seen.clear()
            first = self._first_seen.setdefault(key, now)
        return now - first < self._fresh_s

    def clear(self) -> None:
        with self._lock:
            self._first_seen.clear()


def blocked_message(retry_after: int, now: datetime | None = None) -> str:
    """The real service's wording, e.g. "... until: 9/3/2025 6:54:11 AM (UTC)"."""
    until = (now or datetime.now(UTC)) + timedelta(seconds=retry_after)
    hour = until.hour % 12 or 12
    moment = f"{until.month}/{until.day}/{until.year} {hour}:{until.minute:02}:{until.second:02}"
    return f"Request is blocked by the upstream service until: {moment} {'AM' if until.hour < 12 else 'PM'} (UTC)"


class Dice:
    """The one seeded source of randomness: fault picks and the LRO share."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def chance(self, probability: float) -> bool:
        # Certain outcomes draw nothing, so turning a knob to 0 or 1 leaves the other sequence alone.
        if probability <= 0:
            return False
        if probability >= 1:
            return True
        with self._lock:
            return self._random.random() < probability

    def fault(self, rate: float, kinds: Sequence[str], weights: Mapping[str, float] | None = None) -> str | None:
        """One of `kinds` for a `rate` share of calls (None for the rest), each kind as likely as its
        weight in `weights` (1 when unnamed)."""
        if not kinds or rate <= 0:
            return None
        with self._lock:
            if rate < 1 and self._random.random() >= rate:
                return None
            if not weights:
                return self._random.choice(list(kinds))
            return self._random.choices(list(kinds), [weights.get(k, 1.0) for k in kinds])[0]
