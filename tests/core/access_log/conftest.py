"""The access log tests' district (access_scene.py), for every test file of this folder."""

from tests.core.access_log.access_scene import town  # noqa: F401
