"""The assessments' tests' fixtures (assessment_scene.py), for every test file of this folder."""

from tests.mentoring.assessments.assessment_scene import (  # noqa: F401
    assessment_a,
    assessment_b,
    colleague,
    outsider,
    owner,
    student_a,
    student_b,
    superuser,
    term,
)
