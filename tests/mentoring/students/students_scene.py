"""The scene of the students/ tests: two schools, their terms, a pupil with a mentor, and the
fields each role may see. No answer carries a whole ID number (an autouse fixture).
"""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from mentoring.models import (
    Gender,
    HardshipKind,
    IndicatorSource,
    MentorKind,
    Role,
    Student,
    Subject,
    SubjectScore,
)
from workers.factories import (
    HardshipIndicatorFactory,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    id_number_for,
    member,
)

STUDENTS_URL = "/api/v1/students/"
TOKEN_URL = "/api/v1/auth/token/"

BIRTH = datetime.date(2016, 5, 17)
PUPIL_ID = id_number_for(417, BIRTH)
NEW_BIRTH = datetime.date(2015, 11, 3)
NEW_ID = id_number_for(902, NEW_BIRTH)

ADMIN_KEYS = {
    "id",
    "school",
    "student_number",
    "name",
    "gender",
    "birth_date",
    "id_masked",
    "village",
    "committee",
    "guardian_name",
    "guardian_phone",
    "guardian_consents_to_name",
    "guardian_account_masked",
    "records",
    "indicators",
    "created_at",
}
ADMIN_RECORD_KEYS = {
    "term",
    "level",
    "grade",
    "class_name",
    "boarding",
    "household_size",
    "income_per_capita",
    "disabled",
    "struggling",
    "weak_subjects",
    "scores",
}
MENTOR_KEYS = {
    "id",
    "school",
    "student_number",
    "name",
    "gender",
    "village",
    "guardian_name",
    "guardian_phone",
    "records",
}
MENTOR_RECORD_KEYS = {
    "term",
    "level",
    "grade",
    "class_name",
    "boarding",
    "struggling",
    "weak_subjects",
    "scores",
}


def detail_url(student) -> str:
    return f"{STUDENTS_URL}{student.pk}/"


def numbers(response) -> list[str]:
    return [row["student_number"] for row in response.json()["results"]]


def assert_no_whole_id(response, *id_numbers):
    body = response.content.decode()
    for number in id_numbers:
        assert number not in body
        assert number[:17] not in body


def student_rows() -> tuple[int, int]:
    return Student.objects.count(), Student.history.count()


def new_student(school, **overrides) -> dict:
    payload = {
        "school": school.pk,
        "student_number": "G510000777",
        "name": "王小红",
        "gender": Gender.FEMALE,
        "birth_date": NEW_BIRTH.isoformat(),
        "id_number": NEW_ID,
        "village": "石桥村",
        "guardian_name": "王大山",
        "guardian_phone": "13912345678",
    }
    payload.update(overrides)
    return payload


def wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


@pytest.fixture(autouse=True)
def _no_response_carries_a_whole_id_number(monkeypatch):
    """Every API response in this module is checked, errors included, not only those named."""
    send = APIClient.request
    answered = []

    def send_and_check(self, **kwargs):
        response = send(self, **kwargs)
        assert_no_whole_id(response, PUPIL_ID, NEW_ID)
        answered.append(response)
        return response

    monkeypatch.setattr(APIClient, "request", send_and_check)
    yield
    # The guard must have seen the requests, or it proves nothing.
    assert answered


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


@pytest.fixture
def spring(district):
    return TermFactory(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 23),
        end_date=datetime.date(2026, 7, 3),
        holiday_weeks=[],
    )


@pytest.fixture
def autumn(district):
    return TermFactory(district=district, code="2026-autumn")


@pytest.fixture
def pupil(school_a, spring, autumn):
    """A struggling student of school A with a record for each term, scores and indicators."""
    student = StudentFactory(
        school=school_a,
        student_number="G510000001",
        name="李明",
        gender=Gender.MALE,
        birth_date=BIRTH,
        id_number=PUPIL_ID,
        guardian_phone="13800000001",
    )
    earlier = StudentRecordFactory(
        student=student, term=spring, grade=3, class_name="2班", struggling=True,
        weak_subjects=[Subject.MATH], household_size=5, income_per_capita_fen=280_050,
    )  # fmt: skip
    SubjectScore.objects.create(
        record=earlier, subject=Subject.MATH, start_score=Decimal("48.5"), end_score=Decimal("61")
    )
    later = StudentRecordFactory(
        student=student, term=autumn, grade=4, class_name="2班", struggling=True,
        weak_subjects=[Subject.MATH, Subject.CHINESE], disabled=True,
    )  # fmt: skip
    SubjectScore.objects.create(record=later, subject=Subject.MATH, start_score=Decimal("63"))
    HardshipIndicatorFactory(student=student, kind=HardshipKind.DIBAO)
    HardshipIndicatorFactory(
        student=student,
        kind=HardshipKind.DISABLED_PARENT,
        source=IndicatorSource.HOME_VISIT,
        recorded_on=datetime.date(2026, 10, 12),
        note="父亲肢体残疾",
    )
    return student


@pytest.fixture
def classmate(school_a, autumn):
    """Another student of school A, grade 3, not struggling."""
    student = StudentFactory(school=school_a, student_number="G510000002", name="张华")
    StudentRecordFactory(student=student, term=autumn, grade=3, class_name="1班")
    return student


@pytest.fixture
def pupil_b(school_b, autumn):
    """A student of school B."""
    student = StudentFactory(school=school_b, student_number="G520000001", name="赵强")
    StudentRecordFactory(student=student, term=autumn, grade=4, class_name="1班")
    return student


def mentor_for(user, school, kind=MentorKind.TEACHER):
    return MentorFactory(user=user, schools=[school], kind=kind)


@pytest.fixture
def mentor_teacher(school_a, pupil, autumn):
    """A teacher of school A tutoring the pupil in an active pairing."""
    user = member(Role.TEACHER, school_a, username="mentor.teacher")
    PairingFactory(student=pupil, mentor=mentor_for(user, school_a), term=autumn)
    return user


@pytest.fixture
def colleague_teacher(school_a):
    """A teacher of school A without any pairing."""
    return member(Role.TEACHER, school_a, username="colleague.teacher")
