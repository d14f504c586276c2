"""/api/v1/students/: the archive for administrators, the mentor's view for mentors.

No response ever carries a whole ID number: every test that sees one checks it.
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from mentoring import idnumbers
from mentoring.models import (
    Gender,
    HardshipKind,
    IndicatorSource,
    MentorKind,
    PairingKind,
    PairingStatus,
    Role,
    Student,
    StudentRecord,
    Subject,
    SubjectScore,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import (
    DEFAULT_PASSWORD,
    HardshipIndicatorFactory,
    MembershipFactory,
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
    "guardian_name",
    "guardian_phone",
    "guardian_consents_to_name",
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


# Filters


def test_filter_by_term(admin_a, pupil, classmate, spring, autumn):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"term": spring.pk})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk})) == ["G510000001", "G510000002"]


def test_filter_by_grade(admin_a, pupil, classmate):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"grade": 4})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"grade": 5})) == []


def test_filter_by_class_name(admin_a, pupil, classmate):
    response = client_for(admin_a).get(STUDENTS_URL, {"class_name": "1班"})

    assert numbers(response) == ["G510000002"]


def test_filter_by_struggling(admin_a, pupil, classmate):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"struggling": "true"})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"struggling": "false"})) == ["G510000002"]


def test_search_by_name_or_student_number_prefix(admin_a, pupil, classmate, pupil_b):
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"search": "明"})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"search": "G5100000"})) == [
        "G510000001",
        "G510000002",
    ]
    assert numbers(client.get(STUDENTS_URL, {"search": "0002"})) == []
    assert numbers(client.get(STUDENTS_URL, {"search": "赵强"})) == []


def test_search_does_not_match_id_numbers(admin_a, pupil):
    response = client_for(admin_a).get(STUDENTS_URL, {"search": PUPIL_ID[-4:]})

    assert numbers(response) == []


def test_term_and_grade_filters_apply_to_the_same_record(admin_a, pupil, spring, autumn):
    # The pupil was in grade 3 in spring and is in grade 4 in autumn.
    client = client_for(admin_a)

    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk, "grade": 3})) == []
    assert numbers(client.get(STUDENTS_URL, {"term": autumn.pk, "grade": 4})) == ["G510000001"]
    assert numbers(client.get(STUDENTS_URL, {"term": spring.pk, "grade": 3})) == ["G510000001"]


def test_record_filters_do_not_repeat_a_student_for_the_platform_admin(superuser, pupil, classmate):
    # Both of the pupil's records are struggling and in class 2班.
    response = client_for(superuser).get(STUDENTS_URL, {"struggling": "true", "class_name": "2班"})

    assert response.json()["count"] == 1
    assert numbers(response) == ["G510000001"]


def test_filter_with_a_bad_value_answers_400(admin_a):
    response = client_for(admin_a).get(STUDENTS_URL, {"grade": "third"})

    assert response.status_code == 400
    assert "grade" in response.json()


def test_filters_do_not_reveal_students_of_another_school(admin_a, pupil_b, autumn):
    response = client_for(admin_a).get(
        STUDENTS_URL, {"term": autumn.pk, "school": pupil_b.school_id, "search": "赵"}
    )

    assert response.json()["count"] == 0


# Query count


@pytest.mark.parametrize("n_students", [5, 50])
@pytest.mark.parametrize("viewer_kind", ["administrator", "mentor", "superuser"])
def test_list_query_count_does_not_grow_with_students(
    n_students, viewer_kind, school_a, spring, autumn, django_assert_max_num_queries
):
    if viewer_kind == "superuser":
        viewer = UserFactory(is_superuser=True)
    elif viewer_kind == "administrator":
        viewer = member(Role.ADMINISTRATOR, school_a)
    else:
        viewer = member(Role.TEACHER, school_a)
        mentor = MentorFactory(user=viewer, schools=[school_a], capacity=n_students)
    for _ in range(n_students):
        student = StudentFactory(school=school_a)
        for term in (spring, autumn):
            record = StudentRecordFactory(student=student, term=term, struggling=True)
            SubjectScore.objects.create(record=record, subject=Subject.MATH, start_score=50)
            SubjectScore.objects.create(record=record, subject=Subject.CHINESE, start_score=55)
        HardshipIndicatorFactory(student=student, kind=HardshipKind.DIBAO)
        HardshipIndicatorFactory(student=student, kind=HardshipKind.ORPHAN)
        if viewer_kind == "mentor":
            PairingFactory(student=student, mentor=mentor, term=autumn)
    client = client_for(viewer)

    # The administered schools, the count, the page, then one query each for
    # the records (with their terms), their scores and the indicators; then the access log.
    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        response = client.get(STUDENTS_URL, {"page_size": 100})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == n_students
    assert all(len(row["records"]) == 2 for row in results)
    assert all(len(record["scores"]) == 2 for row in results for record in row["records"])
    if viewer_kind == "mentor":
        assert all(set(row) == MENTOR_KEYS for row in results)
    else:
        assert all(len(row["indicators"]) == 2 for row in results)
