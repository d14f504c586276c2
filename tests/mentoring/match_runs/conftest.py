"""The match run's fixtures (match_scene.py), for every test file of this folder."""

from tests.mentoring.match_runs.match_scene import clock, run_match, scene  # noqa: F401
