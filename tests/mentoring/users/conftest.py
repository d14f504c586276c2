"""The users/ tests' accounts (users_scene.py), for every test file of this folder."""

from tests.mentoring.users.users_scene import in_both, only_a, only_b, superuser  # noqa: F401
