"""`graph_url`: Graph's root by default, a trailing /v1.0 accepted, a URL that is not one refused naming it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fabctl.entrypoints.settings import Settings


def test_the_default_is_microsoft_graph() -> None:
    assert Settings().graph_url == "https://graph.microsoft.com"


def test_a_version_suffix_and_slash_are_dropped() -> None:
    assert Settings(graph_url="http://127.0.0.1:8123/graph/v1.0/").graph_url == "http://127.0.0.1:8123/graph"


@pytest.mark.parametrize("url", ["graph.microsoft.com", "https://user:pw@graph.microsoft.com", ""])
def test_what_is_not_an_http_url_without_credentials_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="graph_url"):
        Settings(graph_url=url)
