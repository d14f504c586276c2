"""The projects/ tests' fixtures (project_scene.py), for every test file of this folder."""

from tests.donations.projects.project_scene import elsewhere, scene, term  # noqa: F401
