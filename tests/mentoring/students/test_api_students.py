"""/api/v1/students/: who reads what: the archive for administrators, the mentor's view for mentors.

The scene is in students_scene.py, next to this file; creating, updating, filtering and
the query count have files of their own in this folder.
"""

import datetime

import pytest

from mentoring import idnumbers
from mentoring.models import (
    HardshipKind,
    IndicatorSource,
    MentorKind,
    PairingKind,
    PairingStatus,
    Role,
    StudentRecord,
    Subject,
)
from tests.conftest import client_for
from tests.mentoring.students.students_scene import (
    ADMIN_KEYS,
    ADMIN_RECORD_KEYS,
    MENTOR_KEYS,
    MENTOR_RECORD_KEYS,
    PUPIL_ID,
    STUDENTS_URL,
    _no_response_carries_a_whole_id_number,  # noqa: F401
    assert_no_whole_id,
    detail_url,
    mentor_for,
    new_student,
    numbers,
    student_rows,
)
from workers.factories import (
    MembershipFactory,
    PairingFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

# Permissions: administrators


def test_anonymous_request_answers_401(api, school_a, pupil):
    before = student_rows()

    assert api.get(STUDENTS_URL).status_code == 401
    assert api.get(detail_url(pupil)).status_code == 401
    assert api.post(STUDENTS_URL, new_student(school_a), format="json").status_code == 401
    assert api.patch(detail_url(pupil), {"name": "X"}, format="json").status_code == 401
    assert student_rows() == before


def test_administrator_sees_the_whole_archive_without_the_id_number(admin_a, pupil, school_a):
    response = client_for(admin_a).get(detail_url(pupil))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ADMIN_KEYS
    assert body["school"] == school_a.code
    assert body["birth_date"] == "2016-05-17"
    assert body["id_masked"] == idnumbers.mask(PUPIL_ID)
    assert body["id_masked"].endswith(PUPIL_ID[-4:])
    assert body["id_masked"].count("*") == 14
    assert_no_whole_id(response, PUPIL_ID)
    assert "id_number" not in body
    assert "id_hash" not in body
    assert pupil.id_hash not in response.content.decode()
    assert [(i["kind"], i["source"], i["recorded_on"], i["note"]) for i in body["indicators"]] == [
        (HardshipKind.DISABLED_PARENT, IndicatorSource.HOME_VISIT, "2026-10-12", "父亲肢体残疾"),
        (HardshipKind.DIBAO, IndicatorSource.FAMILY_APPLICATION, "2026-09-10", ""),
    ]


def test_administrator_reads_the_records_of_every_term_with_scores(admin_a, pupil):
    response = client_for(admin_a).get(detail_url(pupil))

    records = response.json()["records"]
    assert [r["term"] for r in records] == ["2026-spring", "2026-autumn"]
    earlier, later = records
    assert set(earlier) == ADMIN_RECORD_KEYS
    assert earlier["grade"] == 3
    assert earlier["struggling"] is True
    assert earlier["weak_subjects"] == [Subject.MATH]
    assert earlier["household_size"] == 5
    assert earlier["income_per_capita"] == "2800.50"
    assert earlier["scores"] == [{"subject": "math", "start_score": "48.5", "end_score": "61.0"}]
    assert later["grade"] == 4
    assert later["disabled"] is True
    assert later["income_per_capita"] == "3200.00"
    assert later["scores"] == [{"subject": "math", "start_score": "63.0", "end_score": None}]


def test_earlier_term_record_stays_readable_after_a_new_term(admin_a, pupil, spring, district):
    winter = TermFactory(
        district=district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=datetime.date(2027, 2, 22),
        end_date=datetime.date(2027, 7, 2),
    )
    StudentRecordFactory(student=pupil, term=winter, grade=4, class_name="3班")

    response = client_for(admin_a).get(detail_url(pupil))

    records = response.json()["records"]
    assert [r["term"] for r in records] == ["2026-spring", "2026-autumn", "2027-spring"]
    assert records[0]["class_name"] == "2班"
    assert records[0]["scores"][0]["end_score"] == "61.0"
    assert StudentRecord.objects.filter(student=pupil, term=spring).exists()


def test_administrator_lists_only_the_students_of_their_school(admin_a, pupil, classmate, pupil_b):
    response = client_for(admin_a).get(STUDENTS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert numbers(response) == ["G510000001", "G510000002"]
    assert all(set(row) == ADMIN_KEYS for row in response.json()["results"])
    assert_no_whole_id(response, PUPIL_ID)


def test_outsider_administrator_of_another_school_sees_nothing_of_school_a(admin_b, pupil, pupil_b):
    client = client_for(admin_b)

    listed = client.get(STUDENTS_URL)
    detail = client.get(detail_url(pupil))

    assert numbers(listed) == ["G520000001"]
    assert detail.status_code == 404
    assert "name" not in detail.json()


def test_district_administrator_sees_both_schools(district_admin, pupil, classmate, pupil_b):
    response = client_for(district_admin).get(STUDENTS_URL)

    assert numbers(response) == ["G510000001", "G510000002", "G520000001"]


def test_platform_admin_sees_every_student_with_the_full_archive(
    superuser, pupil, classmate, pupil_b
):
    listed = client_for(superuser).get(STUDENTS_URL)
    detail = client_for(superuser).get(detail_url(pupil))

    assert listed.json()["count"] == 3
    assert set(detail.json()) == ADMIN_KEYS
    assert detail.json()["id_masked"] == idnumbers.mask(PUPIL_ID)
    assert_no_whole_id(listed, PUPIL_ID)
    assert_no_whole_id(detail, PUPIL_ID)


# Permissions: mentors


def test_mentor_teacher_sees_only_the_mentor_fields_of_its_mentee(mentor_teacher, pupil):
    response = client_for(mentor_teacher).get(detail_url(pupil))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == MENTOR_KEYS
    assert body["name"] == "李明"
    assert body["guardian_phone"] == "13800000001"
    assert [set(record) for record in body["records"]] == [MENTOR_RECORD_KEYS] * 2
    assert body["records"][1]["weak_subjects"] == [Subject.MATH, Subject.CHINESE]
    assert body["records"][0]["scores"][0]["start_score"] == "48.5"
    text = response.content.decode()
    assert_no_whole_id(response, PUPIL_ID)
    assert idnumbers.mask(PUPIL_ID) not in text
    assert "2016-05-17" not in text
    assert "父亲肢体残疾" not in text
    assert "2800.50" not in text


def test_mentor_teacher_lists_only_its_mentee_with_the_mentor_fields(
    mentor_teacher, pupil, classmate, pupil_b
):
    response = client_for(mentor_teacher).get(STUDENTS_URL)

    assert response.status_code == 200
    assert numbers(response) == ["G510000001"]
    row = response.json()["results"][0]
    assert set(row) == MENTOR_KEYS
    assert all(set(record) == MENTOR_RECORD_KEYS for record in row["records"])


def test_mentor_teacher_cannot_read_a_classmate_of_its_mentee(mentor_teacher, classmate):
    response = client_for(mentor_teacher).get(detail_url(classmate))

    assert response.status_code == 404


def test_colleague_teacher_without_a_pairing_sees_no_student(colleague_teacher, pupil, classmate):
    client = client_for(colleague_teacher)

    listed = client.get(STUDENTS_URL)
    detail = client.get(detail_url(pupil))

    assert listed.status_code == 200
    assert listed.json()["count"] == 0
    assert listed.json()["results"] == []
    assert detail.status_code == 404


def test_proposed_pairing_gives_no_access(school_a, pupil, autumn):
    teacher = member(Role.TEACHER, school_a)
    PairingFactory(
        student=pupil,
        mentor=mentor_for(teacher, school_a),
        term=autumn,
        status=PairingStatus.PROPOSED,
        started_on=None,
    )
    client = client_for(teacher)

    assert client.get(STUDENTS_URL).json()["count"] == 0
    assert client.get(detail_url(pupil)).status_code == 404


def test_ended_pairing_still_gives_the_mentor_view(school_a, pupil, spring):
    teacher = member(Role.TEACHER, school_a)
    PairingFactory(
        student=pupil,
        mentor=mentor_for(teacher, school_a),
        term=spring,
        status=PairingStatus.ENDED,
        started_on=datetime.date(2026, 3, 2),
        ended_on=datetime.date(2026, 7, 3),
        end_reason="学期结束",
    )

    response = client_for(teacher).get(detail_url(pupil))

    assert response.status_code == 200
    assert set(response.json()) == MENTOR_KEYS


def test_mentor_with_an_active_and_an_ended_pairing_sees_the_student_once(
    mentor_teacher, pupil, spring
):
    mentor = mentor_teacher.mentor
    PairingFactory(
        student=pupil,
        mentor=mentor,
        term=spring,
        kind=PairingKind.CARE,
        status=PairingStatus.ENDED,
        started_on=datetime.date(2026, 3, 2),
        ended_on=datetime.date(2026, 7, 3),
    )

    response = client_for(mentor_teacher).get(STUDENTS_URL)

    assert response.json()["count"] == 1
    assert numbers(response) == ["G510000001"]


def test_administrator_of_another_school_mentoring_here_sees_only_mentor_fields(
    school_a, school_b, pupil, autumn
):
    # Administering school B gives no archive rights over a mentee in school A.
    user = member(Role.ADMINISTRATOR, school_b)
    MembershipFactory(user=user, school=school_a, role=Role.TEACHER)
    PairingFactory(student=pupil, mentor=mentor_for(user, school_a), term=autumn)

    response = client_for(user).get(detail_url(pupil))

    assert response.status_code == 200
    assert set(response.json()) == MENTOR_KEYS


def test_volunteer_sees_only_its_mentees(school_a, pupil, classmate, autumn):
    volunteer = member(Role.VOLUNTEER, school_a)
    PairingFactory(
        student=classmate,
        mentor=mentor_for(volunteer, school_a, kind=MentorKind.VOLUNTEER),
        term=autumn,
        kind=PairingKind.CARE,
    )
    client = client_for(volunteer)

    listed = client.get(STUDENTS_URL)

    assert numbers(listed) == ["G510000002"]
    assert set(listed.json()["results"][0]) == MENTOR_KEYS
    assert client.get(detail_url(classmate)).status_code == 200
    assert client.get(detail_url(pupil)).status_code == 404


def test_volunteer_without_mentees_sees_nothing(school_a, pupil):
    client = client_for(member(Role.VOLUNTEER, school_a))

    assert client.get(STUDENTS_URL).json()["count"] == 0
    assert client.get(detail_url(pupil)).status_code == 404


@pytest.mark.parametrize("role", [Role.DONOR, Role.SUPERVISOR])
def test_donor_and_supervisor_see_no_student(role, school_a, pupil, classmate, mentor_teacher):
    client = client_for(member(role, school_a))

    listed = client.get(STUDENTS_URL)
    detail = client.get(detail_url(pupil))

    assert listed.status_code == 200
    assert listed.json()["count"] == 0
    assert detail.status_code == 404
    assert "李明" not in listed.content.decode() + detail.content.decode()


@pytest.mark.parametrize("role", [Role.DONOR, Role.SUPERVISOR])
def test_donor_and_supervisor_in_every_school_see_no_student(
    role, school_a, school_b, pupil, pupil_b
):
    client = client_for(member(role, school_a, school_b))

    assert client.get(STUDENTS_URL).json()["count"] == 0
    assert client.get(detail_url(pupil_b)).status_code == 404
