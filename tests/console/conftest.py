"""The console tests' scene: one small county (console_world.build_world) per test."""

import pytest

from tests.console.console_world import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()
