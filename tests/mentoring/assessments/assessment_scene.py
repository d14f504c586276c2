"""The assessments' tests' school: students, the teacher who submits, a colleague, an
outsider, and an assessment of each school.
"""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest

from mentoring.models import Assessment, AssessmentEvent, Objection, PairingStatus, Role
from workers.factories import (
    AssessmentFactory,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    id_number_for,
    member,
)

URL = "/api/v1/assessments/"
ID_NUMBER = id_number_for(777, date(2015, 3, 8))
NOTICE_DAY = date(2026, 9, 16)


@contextmanager
def on(day: date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def counts():
    return (Assessment.objects.count(), AssessmentEvent.objects.count(), Objection.objects.count())


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def student_a(school_a, term):
    student = StudentFactory(school=school_a, name="王小明", id_number=ID_NUMBER)
    StudentRecordFactory(student=student, term=term, grade=4, class_name="2班")
    return student


@pytest.fixture
def student_b(school_b, term):
    student = StudentFactory(school=school_b)
    StudentRecordFactory(student=student, term=term)
    return student


def teaching(user, student, term, status=PairingStatus.ACTIVE):
    """`user` mentors `student` this term: the one record that says a teacher teaches a student."""
    mentor = MentorFactory(user=user, schools=[student.school])
    PairingFactory(student=student, mentor=mentor, term=term, status=status)
    return user


@pytest.fixture
def owner(school_a, student_a, term):
    """The teacher who submitted the assessment: student A's mentor."""
    return teaching(member(Role.TEACHER, school_a, username="owner.teacher"), student_a, term)


@pytest.fixture
def colleague(school_a):
    """A teacher of school A who does not teach student A."""
    return member(Role.TEACHER, school_a, username="colleague.teacher")


@pytest.fixture
def outsider(school_b, student_b, term):
    return teaching(member(Role.TEACHER, school_b, username="outsider.teacher"), student_b, term)


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


@pytest.fixture
def assessment_a(student_a, term, owner):
    return AssessmentFactory(student=student_a, term=term, created_by=owner)


@pytest.fixture
def assessment_b(student_b, term, outsider):
    return AssessmentFactory(student=student_b, term=term, created_by=outsider)


def submission(student, term, **overrides):
    payload = {
        "student": student.pk,
        "term": term.pk,
        "reason": "母亲长期患病",
        "commitment": "本人承诺所填信息真实",
    }
    payload.update(overrides)
    return payload
