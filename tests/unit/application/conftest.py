"""Every test here gets a fresh world: its own in-memory state store and local Fabric."""

from __future__ import annotations

import pytest

from .world import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()
