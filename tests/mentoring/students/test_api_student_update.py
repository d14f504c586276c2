"""PATCH /api/v1/students/{id}/: changes recorded in the history, the ID number kept consistent,
protected fields refused, other roles answered 404.
"""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from mentoring import idnumbers
from mentoring.models import Gender, Student
from tests.conftest import client_for
from tests.mentoring.students.students_scene import (
    BIRTH,
    NEW_BIRTH,
    NEW_ID,
    PUPIL_ID,
    TOKEN_URL,
    _no_response_carries_a_whole_id_number,  # noqa: F401
    assert_no_whole_id,
    detail_url,
    new_student,
    student_rows,
    wrong_check_digit,
)
from workers.factories import DEFAULT_PASSWORD

# Update


def admin_token(user) -> str:
    response = APIClient().post(
        TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()["access"]


def test_guardian_phone_change_is_recorded_in_history_with_who(admin_a, pupil):
    token = admin_token(admin_a)

    response = APIClient().patch(
        detail_url(pupil),
        {"guardian_phone": "13700000009"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert response.json()["guardian_phone"] == "13700000009"
    pupil.refresh_from_db()
    assert pupil.guardian_phone == "13700000009"
    latest = Student.history.filter(id=pupil.pk).latest("history_date")
    assert latest.history_type == "~"
    assert latest.guardian_phone == "13700000009"
    assert latest.history_user_id == admin_a.pk
    previous = latest.prev_record
    assert previous.guardian_phone == "13800000001"
    assert_no_whole_id(response, PUPIL_ID)


def test_birth_date_change_with_the_matching_id_number_updates_hash_and_mask(admin_a, pupil):
    response = client_for(admin_a).patch(
        detail_url(pupil),
        {"birth_date": NEW_BIRTH.isoformat(), "id_number": NEW_ID},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["birth_date"] == NEW_BIRTH.isoformat()
    assert response.json()["id_masked"] == idnumbers.mask(NEW_ID)
    assert_no_whole_id(response, NEW_ID, PUPIL_ID)
    pupil.refresh_from_db()
    assert pupil.id_hash == idnumbers.keyed_hash(NEW_ID, key=settings.ID_HASH_KEY)


def test_birth_date_change_without_the_id_number_answers_400_naming_id_number(admin_a, pupil):
    history = Student.history.count()

    response = client_for(admin_a).patch(
        detail_url(pupil),
        {"birth_date": NEW_BIRTH.isoformat(), "guardian_phone": "13700000009"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    pupil.refresh_from_db()
    assert pupil.birth_date == BIRTH
    assert pupil.guardian_phone == "13800000001"
    assert Student.history.count() == history


@pytest.mark.parametrize(
    "change",
    [
        {"id_number": NEW_ID},
        {"id_number": wrong_check_digit(PUPIL_ID)},
        {"birth_date": NEW_BIRTH.isoformat(), "id_number": PUPIL_ID},
    ],
    ids=["id-of-another-birth-date", "bad-check-digit", "birth-date-not-in-id"],
)
def test_id_number_not_matching_answers_400_and_changes_nothing(admin_a, pupil, change):
    hash_before = pupil.id_hash

    response = client_for(admin_a).patch(detail_url(pupil), change, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    assert_no_whole_id(response, NEW_ID, PUPIL_ID)
    pupil.refresh_from_db()
    assert pupil.id_hash == hash_before
    assert pupil.birth_date == BIRTH


@pytest.mark.parametrize(
    "field", ["school", "id_hash", "id_masked", "records", "created_at", "nickname"]
)
def test_unknown_or_protected_field_answers_400_naming_it(admin_a, school_b, pupil, field):
    value = school_b.pk if field == "school" else "x"
    before = (pupil.school_id, pupil.id_hash, pupil.id_masked, pupil.name)

    response = client_for(admin_a).patch(
        detail_url(pupil), {field: value, "name": "改名"}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    pupil.refresh_from_db()
    assert (pupil.school_id, pupil.id_hash, pupil.id_masked, pupil.name) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gender": "other"}, "gender"),
        ({"guardian_phone": "phone"}, "guardian_phone"),
        ({"name": ""}, "name"),
        ({"student_number": "G-1"}, "student_number"),
    ],
)
def test_invalid_patch_answers_400_naming_the_field(admin_a, pupil, change, field):
    response = client_for(admin_a).patch(detail_url(pupil), change, format="json")

    assert response.status_code == 400
    assert field in response.json()
    pupil.refresh_from_db()
    assert (pupil.gender, pupil.guardian_phone, pupil.name, pupil.student_number) == (
        Gender.MALE, "13800000001", "李明", "G510000001",
    )  # fmt: skip


def test_patch_to_a_student_number_taken_in_the_school_answers_400(admin_a, pupil, classmate):
    response = client_for(admin_a).patch(
        detail_url(pupil), {"student_number": classmate.student_number}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["student_number"]
    pupil.refresh_from_db()
    assert pupil.student_number == "G510000001"


def test_mentor_teacher_cannot_patch_its_mentee(mentor_teacher, pupil):
    history = Student.history.count()

    response = client_for(mentor_teacher).patch(
        detail_url(pupil), {"guardian_phone": "13700000009"}, format="json"
    )

    assert response.status_code in (403, 404)
    pupil.refresh_from_db()
    assert pupil.guardian_phone == "13800000001"
    assert Student.history.count() == history


def test_colleague_and_outsider_patching_get_404(colleague_teacher, admin_b, pupil):
    for user in (colleague_teacher, admin_b):
        response = client_for(user).patch(
            detail_url(pupil), {"guardian_phone": "13700000009"}, format="json"
        )
        assert response.status_code == 404
    pupil.refresh_from_db()
    assert pupil.guardian_phone == "13800000001"


def test_put_and_delete_are_not_allowed(admin_a, school_a, pupil):
    client = client_for(admin_a)
    before = student_rows()

    put = client.put(detail_url(pupil), new_student(school_a), format="json")
    delete = client.delete(detail_url(pupil))

    assert put.status_code == 405
    assert delete.status_code == 405
    assert student_rows() == before
