"""The pairings' world (pairing_world.py), for every test file of this folder."""

from tests.mentoring.pairings.pairing_world import clock, world  # noqa: F401
