"""Values that must never be shown, and what is shown in their place.

A reader that puts a value from outside the files into the rules (an environment variable through
`$ENV:NAME`, read with the file; a secret through `$secret:NAME`, read when bound, by `SecretValues`)
records the value here with where it came from. Whatever is built from those values for people or
other systems to read (errors above all) passes through `redact`, which puts the name back where the
value was: an error then says `$ENV:TOKEN`, never the token. See
docs/adr/0018-parameters-references-and-secrets.md for what is and is not covered.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from fabctl.domain.errors import DomainError, InvalidConfiguration

E = TypeVar("E", bound=DomainError)


@dataclass(frozen=True)
class SensitiveValues:
    """(value, what to show instead) pairs, e.g. ("s3cr3t", "$ENV:TOKEN")."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, shown_as: Mapping[str, str]) -> SensitiveValues:
        # An empty value hides nothing, and replacing "" would put the name between every character.
        return cls(tuple((value, name) for value, name in shown_as.items() if value))

    def merged(self, other: SensitiveValues) -> SensitiveValues:
        known = dict(self.pairs)
        known.update((v, n) for v, n in other.pairs if v not in known)
        return SensitiveValues(tuple(known.items()))

    def __bool__(self) -> bool:
        return bool(self.pairs)

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.pairs:
            return None
        # Longest first, in one pass: a value that contains another is replaced whole, and a name
        # put in never has a shorter value replaced inside it.
        values = sorted({v for v, _ in self.pairs}, key=len, reverse=True)
        return re.compile("|".join(re.escape(v) for v in values))

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by the name it came from."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        shown = dict(self.pairs)
        return pattern.sub(lambda match: shown[match.group(0)], text)

    def redact_error(self, error: E) -> E:
        """The same error with its message, subject and field redacted (the original is left as is).

        Raise the copy `from None`: the original, which holds the values, is then never rendered."""
        if not self.pairs:
            return error
        message, subject, field = (self.redact(t) for t in (error.message, error.subject, error.field))
        if (message, subject, field) == (error.message, error.subject, error.field):
            return error
        redacted = copy.copy(error)
        redacted.message, redacted.subject, redacted.field = message, subject, field
        redacted.args = (message,)
        return redacted


# `$secret:NAME` as a whole replace value: the secret NAME, read from the secret store when the value is bound.
SECRET_MARKER = "$secret:"
# Key Vault's names (letters, digits, dashes) plus underscores, which environment variables use instead
# of dashes; the stores translate between the two.
_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]{1,127}")
# A secret's value inside stored bytes: NUL-delimited, which no text content holds, so unsealing
# cannot take ordinary text (a notebook that mentions "$secret:X") for a marker.
_SEAL = b"\x00$secret:%s\x00"
_SEALED = re.compile(rb"\x00\$secret:([A-Za-z0-9_-]{1,127})\x00")


def secret_name(value: str) -> str | None:
    """The secret a `$secret:NAME` value names; None for any other value."""
    if not value.startswith(SECRET_MARKER):
        return None
    return value[len(SECRET_MARKER) :]


def check_secret_name(name: str) -> str | None:
    """Why `name` cannot name a secret, or None when it can."""
    if _SECRET_NAME.fullmatch(name):
        return None
    return "a secret name is 1 to 127 letters, digits, dashes or underscores"


class SecretValues:
    """The secrets a run reads, by name, and every value read so far, so that none is ever shown.

    Values are read when a `$secret:` value is first bound, never when a file is read: a deployment to
    test never reads prod's secrets, and a secret's value is never part of what is stored or pinned
    (the marker is). `read` is the secret store's `get_secret` (it raises `KeyError` with a message
    naming the secret and where it looked). One object per process, shared by every reader and by the
    outputs that redact (errors, logs, the HTTP trace); safe to use from the deployment's threads.
    """

    def __init__(self, read: Callable[[str], str]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}  # value -> "$secret:NAME"
        self._listeners: list[Callable[[str], None]] = []

    def value(self, name: str) -> str:
        problem = check_secret_name(name)
        if problem is not None:
            raise InvalidConfiguration(f"'{SECRET_MARKER}{name}': {problem}")
        try:
            value = self._read(name)
        except KeyError as e:
            raise InvalidConfiguration(str(e.args[0]) if e.args else f"secret {name}: not found") from None
        with self._lock:
            fresh = value and value not in self._seen
            if fresh:
                self._seen[value] = f"{SECRET_MARKER}{name}"
            listeners = list(self._listeners) if fresh else []
        for listener in listeners:
            listener(value)
        return value

    def on_revealed(self, listener: Callable[[str], None]) -> None:
        """Call `listener` with every value read from now on (an HTTP trace adds it to what it hides)."""
        with self._lock:
            self._listeners.append(listener)
            known = list(self._seen)
        for value in known:
            listener(value)

    def revealed(self) -> SensitiveValues:
        with self._lock:
            return SensitiveValues(tuple(self._seen.items()))

    def seal(self, payload: bytes) -> bytes:
        """`payload` with every value read so far replaced by a sealed marker naming its secret.

        For what is stored (before-images of items that hold a secret, as Fabric holds it): the state
        keeps the name, and `unseal` reads the value again when the image is put back."""
        with self._lock:
            pairs = sorted(self._seen.items(), key=lambda pair: len(pair[0]), reverse=True)
        if not pairs:
            return payload
        sealed = {value.encode("utf-8"): _SEAL % shown[len(SECRET_MARKER) :].encode() for value, shown in pairs}
        pattern = re.compile(b"|".join(re.escape(v) for v in sealed))
        return pattern.sub(lambda match: sealed[match.group(0)], payload)

    def unseal(self, payload: bytes) -> bytes:
        """A sealed payload with each marker replaced by its secret's value, read (again) from the store."""
        if b"\x00$secret:" not in payload:
            return payload
        return _SEALED.sub(lambda match: self.value(match.group(1).decode()).encode("utf-8"), payload)
