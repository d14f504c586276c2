"""The terms' tests' fixtures (terms_scene.py), for every test file of this folder."""

from tests.mentoring.terms.terms_scene import (  # noqa: F401
    other_district,
    other_term,
    school_c,
    superuser,
    term,
)
