"""The match-runs API tests' fixtures: the match run's clock, and the scene, people and runs of
run_api_scene.py, for every test file of this folder.
"""

from tests.mentoring.match_run_api.run_api_scene import (  # noqa: F401
    people,
    run_a,
    run_ab,
    run_b,
    scene,
    start,
)
from tests.mentoring.match_runs.match_scene import clock  # noqa: F401
