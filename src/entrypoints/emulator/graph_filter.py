"""Graph's `$filter`, as far as the emulator serves it: one `property eq 'text'` clause.

Microsoft Graph answers a clause it cannot run on a property with 400 `Request_UnsupportedQuery`, and a
clause it cannot parse with 400 `BadRequest` ("Invalid filter clause"). The emulator keeps to the clauses
fabctl sends (eq on userPrincipalName, displayName, appId, id): any other operator, property or a second
clause (`and`, `or`) is refused as unsupported, so a client that relied on more would fail here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `prop eq 'value'`; inside the quotes, a quote is written twice (OData's escape).
_CLAUSE = re.compile(r"^\s*(?P<prop>[A-Za-z][A-Za-z0-9_]*)\s+(?P<op>[A-Za-z]+)\s+'(?P<value>(?:[^']|'')*)'\s*$")
_ANY_CLAUSE = re.compile(r"^\s*(?P<prop>[A-Za-z][A-Za-z0-9_/]*)\b")


class FilterError(ValueError):
    """A `$filter` Graph would refuse: `code` is Graph's error code, the message its explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Equals:
    prop: str
    value: str


def parse_filter(text: str, *, resource: str, supported: frozenset[str]) -> Equals:
    """The one `eq` clause of `text` on a property of `supported` (names as Graph spells them); else
    `FilterError` shaped as Graph's answer for `resource` (e.g. "User")."""
    clause = _CLAUSE.match(text)
    if clause is None:
        named = _ANY_CLAUSE.match(text)
        if named is None or "'" not in text:
            raise FilterError("BadRequest", f"Invalid filter clause: {text!r}")
        raise _unsupported(named["prop"], resource)
    prop = _canonical(clause["prop"], supported)
    if clause["op"].lower() != "eq" or prop is None:
        raise _unsupported(clause["prop"], resource)
    return Equals(prop, clause["value"].replace("''", "'"))


def _canonical(prop: str, supported: frozenset[str]) -> str | None:
    # OData property names in a filter are matched without regard to case by Graph.
    for name in supported:
        if name.casefold() == prop.casefold():
            return name
    return None


def _unsupported(prop: str, resource: str) -> FilterError:
    return FilterError(
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'.",
    )
