"""The roster import's fixtures (roster_scene.py), for every test file of this folder."""

from tests.mentoring.roster.roster_scene import admin, term  # noqa: F401
