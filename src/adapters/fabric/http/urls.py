"""The Fabric REST base URL, however it is given.

fabric-cicd and Microsoft's docs name the service by its root, `https://api.fabric.microsoft.com`;
the REST calls live under `/v1`. Both spellings name one base, so a root (no path) gets `/v1`, and
every other path is kept as given (an emulator's `http://127.0.0.1:PORT/v1`, a proxy's prefix).

A URL never carries credentials: fabctl authenticates with an Azure credential, and a password in
`https://user:password@host` would otherwise be journaled with every transaction (`tx list`), written
to the HTTP trace and printed in errors. It is refused, and the refusal names neither the user nor
the password.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

API_PATH = "/v1"


def fabric_api_base(url: str) -> str:
    """`url` as the REST base (`.../v1` for a bare root), or ValueError saying what to fix."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("the Fabric URL is not a valid URL; give e.g. https://api.fabric.microsoft.com") from None
    if "@" in parts.netloc:
        raise ValueError(
            "the Fabric URL carries credentials (user:password@); remove them: fabctl signs in with an "
            "Azure credential (azure-identity), never with a password in the URL"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("the Fabric URL must be an http(s) URL, e.g. https://api.fabric.microsoft.com")
    path = parts.path.rstrip("/") or API_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


# The hosts of Microsoft's Fabric REST service; Power BI's REST API (semantic model refreshes) is
# served by api.powerbi.com for all of them. Any other host (the emulator, a proxy) serves both.
_FABRIC_HOST_SUFFIXES = ("fabric.microsoft.com", "powerbi.com")
POWERBI_ROOT = "https://api.powerbi.com"


def powerbi_root(fabric_url: str) -> str:
    """The root of Power BI's REST API (`/v1.0/myorg/...`) that goes with the Fabric URL."""
    parts = urlsplit(fabric_api_base(fabric_url))
    host = (parts.hostname or "").lower()
    if any(host == suffix or host.endswith("." + suffix) for suffix in _FABRIC_HOST_SUFFIXES):
        return POWERBI_ROOT
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
