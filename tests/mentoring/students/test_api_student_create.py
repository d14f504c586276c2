"""POST /api/v1/students/: administrators create students; bad input is a 400 naming the field."""

import pytest
from django.conf import settings

from mentoring import idnumbers
from mentoring.models import Role, Student
from tests.conftest import client_for
from tests.mentoring.students.students_scene import (
    ADMIN_KEYS,
    NEW_BIRTH,
    NEW_ID,
    STUDENTS_URL,
    _no_response_carries_a_whole_id_number,  # noqa: F401
    assert_no_whole_id,
    new_student,
    student_rows,
    wrong_check_digit,
)
from workers.factories import member

# Create


def test_administrator_creates_a_student(admin_a, school_a):
    response = client_for(admin_a).post(STUDENTS_URL, new_student(school_a), format="json")

    assert response.status_code == 201
    body = response.json()
    student = Student.objects.get(school=school_a, student_number="G510000777")
    assert set(body) == ADMIN_KEYS
    assert body["id"] == student.pk
    assert body["school"] == school_a.code
    assert body["id_masked"] == idnumbers.mask(NEW_ID)
    assert body["records"] == []
    assert body["indicators"] == []
    assert_no_whole_id(response, NEW_ID)
    assert student.id_hash == idnumbers.keyed_hash(NEW_ID, key=settings.ID_HASH_KEY)
    assert student.id_masked == idnumbers.mask(NEW_ID)
    assert student.birth_date == NEW_BIRTH
    assert student.guardian_phone == "13912345678"
    assert NEW_ID not in {getattr(student, f.attname) for f in Student._meta.concrete_fields}


def test_lower_case_x_check_digit_and_spaces_are_accepted(admin_a, school_a):
    first17 = f"510000{NEW_BIRTH:%Y%m%d}"
    number = next(
        idnumbers.with_check_digit(f"{first17}{n:03d}")
        for n in range(1000)
        if idnumbers.check_digit(f"{first17}{n:03d}") == "X"
    )
    typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"

    response = client_for(admin_a).post(
        STUDENTS_URL, new_student(school_a, id_number=typed), format="json"
    )

    assert response.status_code == 201
    assert response.json()["id_masked"] == idnumbers.mask(number)
    assert_no_whole_id(response, number)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": wrong_check_digit(NEW_ID)}, "id_number"),
        ({"id_number": NEW_ID[:17]}, "id_number"),
        ({"id_number": "51000020151303123X"}, "id_number"),
        ({"id_number": None}, "id_number"),
        ({"birth_date": "2015-11-04"}, "id_number"),
        ({"birth_date": "2015-02-30"}, "birth_date"),
        ({"birth_date": None}, "birth_date"),
        ({"gender": "unknown"}, "gender"),
        ({"gender": None}, "gender"),
        ({"guardian_phone": "call me"}, "guardian_phone"),
        ({"guardian_phone": "1" * 21}, "guardian_phone"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "名" * 51}, "name"),
        ({"student_number": None}, "student_number"),
        ({"student_number": "G 1"}, "student_number"),
        ({"school": None}, "school"),
        ({"school": "first"}, "school"),
        ({"guardian_consents_to_name": "perhaps"}, "guardian_consents_to_name"),
    ],
    ids=[
        "bad-check-digit",
        "id-too-short",
        "id-birth-not-a-date",
        "missing-id-number",
        "birth-date-differs-from-id",
        "birth-not-a-date",
        "missing-birth-date",
        "bad-gender",
        "missing-gender",
        "bad-phone",
        "too-long-phone",
        "missing-name",
        "blank-name",
        "too-long-name",
        "missing-student-number",
        "student-number-with-space",
        "missing-school",
        "non-integer-school",
        "bad-consent",
    ],
)
def test_invalid_student_answers_400_naming_the_field_and_writes_nothing(
    admin_a, school_a, change, field
):
    payload = new_student(school_a)
    for key, value in change.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    before = student_rows()

    response = client_for(admin_a).post(
        STUDENTS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]
    assert student_rows() == before
    assert_no_whole_id(response, NEW_ID, payload.get("id_number") or NEW_ID)


def test_bad_check_digit_message_says_so(admin_a, school_a):
    response = client_for(admin_a).post(
        STUDENTS_URL,
        new_student(school_a, id_number=wrong_check_digit(NEW_ID)),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.json() == {"id_number": ["The check digit of the ID number is wrong."]}


def test_duplicate_student_number_in_the_school_answers_400(admin_a, school_a, pupil):
    before = student_rows()

    response = client_for(admin_a).post(
        STUDENTS_URL,
        new_student(school_a, student_number=pupil.student_number),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["student_number"]
    assert student_rows() == before
    pupil.refresh_from_db()
    assert pupil.name == "李明"


def test_same_student_number_in_another_school_is_allowed(district_admin, school_b, pupil):
    response = client_for(district_admin).post(
        STUDENTS_URL,
        new_student(school_b, student_number=pupil.student_number),
        format="json",
    )

    assert response.status_code == 201
    assert Student.objects.filter(student_number=pupil.student_number).count() == 2


def test_foreign_and_missing_school_answer_the_same(admin_a, school_b):
    missing_id = school_b.pk + 1000
    client = client_for(admin_a)
    before = student_rows()

    foreign = client.post(
        STUDENTS_URL, new_student(school_b), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    missing = client.post(
        STUDENTS_URL,
        new_student(school_b) | {"school": missing_id},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert foreign.status_code == missing.status_code == 403
    assert foreign.json() == missing.json()
    assert list(foreign.json()) == ["school"]
    assert "schools you administer" in foreign.json()["school"][0]
    assert student_rows() == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_cannot_create_a_student_in_their_school(role, school_a):
    before = student_rows()

    response = client_for(member(role, school_a)).post(
        STUDENTS_URL, new_student(school_a), format="json"
    )

    assert response.status_code == 403
    assert student_rows() == before


def test_platform_admin_creates_a_student_in_any_school(superuser, school_b):
    response = client_for(superuser).post(STUDENTS_URL, new_student(school_b), format="json")

    assert response.status_code == 201
    assert response.json()["school"] == school_b.code
