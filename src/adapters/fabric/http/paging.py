"""Paged lists: `{"value": [...], "continuationToken": ..., "continuationUri": ...}`.

The service removes both continuation keys on the last page; some APIs send them as `null`
instead, which means the same. The token is preferred (the same request again, plus
`continuationToken`, so filters and host stay ours); the URI is followed when it is all there is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fabctl.adapters.fabric.http import responses
from fabctl.adapters.fabric.http.transport import FabricHttpClient


def iterate_pages(client: FabricHttpClient, url: str, params: Mapping[str, str] | None = None) -> Iterator[Any]:
    """Every element of every page, in order."""
    base_params = dict(params or {})
    next_url: str = url
    next_params: dict[str, str] | None = base_params
    seen: set[str] = set()
    while True:
        response = client.request("GET", next_url, params=next_params)
        page = responses.read_object(response, "value")
        if not isinstance(page["value"], list):
            raise responses.unreadable(response, "'value' of a paged list is not a list")
        yield from page["value"]
        token = page.get("continuationToken")
        uri = page.get("continuationUri")
        if not token and not uri:
            return
        marker = str(token or uri)
        if marker in seen:  # a service bug would otherwise loop forever
            raise responses.unreadable(response, f"the continuation {marker!r} was already followed")
        seen.add(marker)
        if token:
            next_url, next_params = url, {**base_params, "continuationToken": str(token)}
        else:
            next_url, next_params = str(uri), None
