"""A `$secret:NAME` found in a configuration file, checked the same way wherever a file takes one."""

from __future__ import annotations

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.redaction import SECRET_MARKER, check_secret_name, secret_name


def check_whole_secret(value: str, subject: str, where: str) -> None:
    """`value` (at field `where` of `subject`) is a whole `$secret:NAME` with a valid NAME, else refused."""
    name = secret_name(value)
    if name is None:
        raise InvalidConfiguration(
            f"'{SECRET_MARKER}NAME' must be the whole value (it is replaced by the secret NAME)",
            subject=subject,
            field=where,
        )
    problem = check_secret_name(name)
    if problem is not None:
        raise InvalidConfiguration(f"'{SECRET_MARKER}{name}': {problem}", subject=subject, field=where)
