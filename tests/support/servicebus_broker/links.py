"""What the broker remembers about each attached link, kept on the proton link itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from proton import Link, symbol

MANAGEMENT_SUFFIX = "/$management"
CBS_NODE = "$cbs"
SESSION_FILTER = symbol("com.microsoft:session-filter")
LOCKED_UNTIL_UTC = symbol("com.microsoft:locked-until-utc")


def entity_path(address: str | None) -> str:
    """`amqps://host/queue/subscriptions/x` -> `queue/subscriptions/x`; `$cbs` stays `$cbs`."""
    if not address:
        return ""
    parsed = urlparse(address)
    return parsed.path.lstrip("/") if parsed.netloc else address


@dataclass
class LinkRole:
    kind: str  # "cbs", "management", "entity"
    path: str  # the entity path ("" for cbs)
    session_id: str | None = None
    receive_and_delete: bool = False


def role_of(link: Link) -> LinkRole | None:
    return getattr(link, "broker_role", None)


def classify(address: str | None) -> LinkRole:
    path = entity_path(address)
    if path == CBS_NODE:
        return LinkRole("cbs", "")
    if path.lower().endswith(MANAGEMENT_SUFFIX):
        return LinkRole("management", path[: -len(MANAGEMENT_SUFFIX)])
    return LinkRole("entity", path)


def session_filter(link: Link) -> tuple[bool, str | None]:
    """(whether the receiver asked for a session, which one; None = next available)."""
    data = link.remote_source.filter
    data.rewind()
    if not data.next():
        return False, None
    filters = data.get_object()
    if not isinstance(filters, dict) or SESSION_FILTER not in filters:
        return False, None
    value = filters[SESSION_FILTER]
    return True, None if value is None else str(value)
