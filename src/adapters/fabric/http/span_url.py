"""The URL a client span names: the request's, with every query value replaced.

A Fabric URL's query holds continuation tokens and, on a OneLake or storage link, a SAS signature: none of
it belongs in a trace, which is kept for weeks where more people read it. The names stay (they say what
kind of call it was), the values do not, as OpenTelemetry's HTTP conventions ask for `url.full`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"


def redacted_url(url: str, params: Mapping[str, str] | None = None) -> str:
    parts = urlsplit(url)
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)] + list(params or {})
    query = urlencode([(name, REDACTED) for name in names])
    # No user or password either (the base URL refuses them; an absolute URL from a 202 could hold them).
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
