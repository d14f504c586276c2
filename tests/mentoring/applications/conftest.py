"""The applications' tests: a school A with a term around today, a student with a mentor
(the class teacher), a colleague, school B's administrator, and the roles that may not act."""

import datetime

import pytest
from django.utils import timezone

from mentoring.models import PairingStatus, Role
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    member,
)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def term(district, today):
    return TermFactory(
        district=district,
        code=f"{today.year}-autumn",
        start_date=today - datetime.timedelta(days=60),
        end_date=today + datetime.timedelta(days=60),
        holiday_weeks=[],
    )


@pytest.fixture
def student(school_a, term):
    student = StudentFactory(
        school=school_a, name="王小明", guardian_name="王大山", guardian_phone="13812345678"
    )
    StudentRecordFactory(student=student, term=term, grade=4, class_name="2班")
    return student


@pytest.fixture
def class_teacher(school_a, student, term):
    """Student A's mentor: the teacher who teaches the student."""
    user = member(Role.TEACHER, school_a, username="class.teacher")
    mentor = MentorFactory(user=user, schools=[school_a])
    PairingFactory(student=student, mentor=mentor, term=term, status=PairingStatus.ACTIVE)
    return user


@pytest.fixture
def colleague(school_a):
    return member(Role.TEACHER, school_a, username="colleague.teacher")


@pytest.fixture
def volunteer(school_a):
    return member(Role.VOLUNTEER, school_a, username="a.volunteer")


@pytest.fixture
def supervisor(school_a):
    return member(Role.SUPERVISOR, school_a, username="a.supervisor")


@pytest.fixture
def platform_admin(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)
