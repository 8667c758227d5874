"""A subscriber's URL or key, from the reference the configuration holds: `$secret:NAME` (the secret store,
through the process's `SecretValues`, so the value is hidden from every output like any secret read),
`$ENV:NAME` (an environment variable) or, for a webhook URL only, the text itself."""

from __future__ import annotations

import os
from collections.abc import Callable

from fabctl.domain.redaction import SECRET_MARKER, secret_name

ENV_PREFIX = "$ENV:"


class UnresolvedReference(Exception):
    """The reference named no value; the message names the reference, never a value."""


def is_reference(text: str) -> bool:
    return text.startswith((SECRET_MARKER, ENV_PREFIX))


def resolve(reference: str, read_secret: Callable[[str], str]) -> str:
    name = secret_name(reference)
    if name is not None:
        try:
            return read_secret(name)
        except Exception as e:  # the store's own failure types: none of them may carry the value
            raise UnresolvedReference(f"secret '{name}' could not be read ({type(e).__name__})") from None
    if reference.startswith(ENV_PREFIX):
        name = reference.removeprefix(ENV_PREFIX)
        value = os.environ.get(name, "")
        if not value:
            raise UnresolvedReference(f"environment variable '{name}' is not set")
        return value
    return reference
