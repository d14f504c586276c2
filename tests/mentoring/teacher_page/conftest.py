"""The mentor's page tests' fixtures: the pairings' clock, and their world with the owner's
mentee in a class (page_scene.py).
"""

from tests.mentoring.pairings.pairing_world import clock  # noqa: F401
from tests.mentoring.teacher_page.page_scene import world  # noqa: F401
