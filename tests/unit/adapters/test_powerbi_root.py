"""Where fabctl sends a semantic model's refresh: Power BI's REST root that goes with the Fabric URL."""

from __future__ import annotations

import pytest

from fabctl.adapters.fabric.http.urls import powerbi_root


@pytest.mark.parametrize(
    ("fabric_url", "root"),
    [
        ("https://api.fabric.microsoft.com", "https://api.powerbi.com"),
        ("https://api.fabric.microsoft.com/v1", "https://api.powerbi.com"),
        ("https://westeurope.api.fabric.microsoft.com/v1", "https://api.powerbi.com"),
        ("https://api.powerbi.com/v1", "https://api.powerbi.com"),
        ("http://127.0.0.1:5123/v1", "http://127.0.0.1:5123"),  # the emulator serves both APIs
        ("https://proxy.example.com:8443/fabric/v1", "https://proxy.example.com:8443"),
        ("https://notfabric.microsoft.com.evil.example/v1", "https://notfabric.microsoft.com.evil.example"),
    ],
)
def test_the_root_follows_the_fabric_host(fabric_url: str, root: str) -> None:
    assert powerbi_root(fabric_url) == root
