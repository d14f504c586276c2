"""The students/ tests' fixtures (students_scene.py), for every test file of this folder."""

from tests.mentoring.students.students_scene import (  # noqa: F401
    autumn,
    classmate,
    colleague_teacher,
    mentor_teacher,
    pupil,
    pupil_b,
    spring,
    superuser,
)
