"""/api/v1/assessments/: who sees and does what, submit validation, filters, query counts."""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest

from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    Objection,
    PairingStatus,
    Role,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
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


# Reading


def test_anonymous_gets_401_everywhere(api, assessment_a, student_a, term):
    before = counts()

    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{assessment_a.pk}/").status_code == 401
    assert api.post(URL, submission(student_a, term), format="json").status_code == 401
    for action in ["review", "publicize", "object", "approve", "reject"]:
        assert api.post(f"{URL}{assessment_a.pk}/{action}/", {}).status_code == 401
    assert counts() == before


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_volunteers_donors_and_supervisors_cannot_read_or_submit(
    role, school_a, assessment_a, student_a, term
):
    client = client_for(member(role, school_a))
    before = counts()

    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{assessment_a.pk}/").status_code == 403
    assert client.post(URL, submission(student_a, term), format="json").status_code == 403
    assert counts() == before


def test_teacher_sees_only_the_assessments_they_submitted(
    owner, colleague, outsider, assessment_a, assessment_b
):
    assert ids(client_for(owner).get(URL)) == {assessment_a.pk}
    assert client_for(owner).get(f"{URL}{assessment_a.pk}/").status_code == 200
    assert ids(client_for(colleague).get(URL)) == set()
    assert client_for(colleague).get(f"{URL}{assessment_a.pk}/").status_code == 404
    assert client_for(outsider).get(f"{URL}{assessment_a.pk}/").status_code == 404
    assert ids(client_for(outsider).get(URL)) == {assessment_b.pk}


def test_teacher_whose_pairing_ended_no_longer_sees_their_submission(owner, assessment_a):
    owner.mentor.pairings.update(status=PairingStatus.ENDED, ended_on=date(2026, 10, 9))

    assert client_for(owner).get(f"{URL}{assessment_a.pk}/").status_code == 404
    assert ids(client_for(owner).get(URL)) == set()


def test_teacher_who_left_the_school_no_longer_sees_their_submission(owner, assessment_a):
    owner.memberships.all().delete()
    member_elsewhere = SchoolFactory()
    owner.memberships.create(school=member_elsewhere, role=Role.TEACHER)

    assert client_for(owner).get(f"{URL}{assessment_a.pk}/").status_code == 404


def test_administrators_see_their_schools_assessments_only(
    admin_a, admin_b, district_admin, superuser, assessment_a, assessment_b
):
    assert ids(client_for(admin_a).get(URL)) == {assessment_a.pk}
    assert client_for(admin_a).get(f"{URL}{assessment_b.pk}/").status_code == 404
    assert ids(client_for(admin_b).get(URL)) == {assessment_b.pk}
    assert ids(client_for(district_admin).get(URL)) == {assessment_a.pk, assessment_b.pk}
    assert ids(client_for(superuser).get(URL)) == {assessment_a.pk, assessment_b.pk}


def test_assessment_shows_the_masked_id_number_only(admin_a, assessment_a, student_a, school_a):
    response = client_for(admin_a).get(f"{URL}{assessment_a.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert ID_NUMBER not in response.content.decode()
    assert ID_NUMBER[:6] + ID_NUMBER[6:14] not in response.content.decode()
    assert body["student_id_masked"] == "*" * 14 + ID_NUMBER[-4:]
    assert body["student"] == student_a.pk
    assert body["student_name"] == "王小明"
    assert body["school"] == school_a.pk
    assert body["school_name"] == school_a.name
    assert (body["grade"], body["class_name"]) == (4, "2班")
    assert body["events"] == []
    assert body["objections"] == []


def test_allowed_actions_depend_on_the_role(owner, admin_a, assessment_a):
    as_owner = client_for(owner).get(f"{URL}{assessment_a.pk}/").json()
    as_admin = client_for(admin_a).get(f"{URL}{assessment_a.pk}/").json()

    assert as_owner["allowed_actions"] == ["review"]
    assert as_admin["allowed_actions"] == ["review", "reject"]


def test_platform_admin_is_offered_administrator_actions(superuser, assessment_a):
    body = client_for(superuser).get(f"{URL}{assessment_a.pk}/").json()

    assert body["allowed_actions"] == ["review", "reject"]


# Filters


def test_filters_by_term_school_status_route_and_tier(
    district_admin, school_a, school_b, term, assessment_a, assessment_b, district
):
    other_term = TermFactory(
        district=district,
        code="2027-spring",
        start_date=date(2027, 2, 20),
        end_date=date(2027, 7, 10),
    )
    later = AssessmentFactory(
        student=assessment_a.student,
        term=other_term,
        route="government_list",
        status=AssessmentStatus.PROPOSED,
        tier="special_hardship",
    )
    client = client_for(district_admin)

    assert ids(client.get(URL, {"term": other_term.pk})) == {later.pk}
    assert ids(client.get(URL, {"school": school_b.pk})) == {assessment_b.pk}
    assert ids(client.get(URL, {"status": "proposed"})) == {later.pk}
    assert ids(client.get(URL, {"route": "application"})) == {assessment_a.pk, assessment_b.pk}
    assert ids(client.get(URL, {"tier": "special_hardship"})) == {later.pk}


def test_filter_by_a_foreign_school_reveals_nothing(admin_a, school_b, assessment_b):
    response = client_for(admin_a).get(URL, {"school": school_b.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_filter_with_a_bad_status_answers_400(admin_a):
    response = client_for(admin_a).get(URL, {"status": "maybe"})

    assert response.status_code == 400
    assert "status" in response.json()


# Query counts


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count_does_not_grow_with_rows(
    rows, admin_a, school_a, term, django_assert_max_num_queries
):
    for n in range(rows):
        student = StudentFactory(school=school_a)
        StudentRecordFactory(student=student, term=term)
        assessment = AssessmentFactory(
            student=student,
            term=term,
            status=AssessmentStatus.PUBLICIZED,
            tier="hardship",
            notice_starts_on=date(2026, 9, 14),
            notice_ends_on=date(2026, 9, 18),
        )
        if n % 2:
            Objection.objects.create(assessment=assessment, text="异议")
    client = client_for(admin_a)

    with on(NOTICE_DAY), django_assert_max_num_queries(5 + ACCESS_LOG_QUERIES):
        response = client.get(URL, {"page_size": 100})

    assert response.json()["count"] == rows
    assert all(row["grade"] == 3 for row in response.json()["results"])


@pytest.mark.parametrize("events", [5, 50])
def test_detail_query_count_does_not_grow_with_events(
    events, admin_a, assessment_a, django_assert_max_num_queries
):
    for n in range(events):
        AssessmentEvent.objects.create(
            assessment=assessment_a, action="review", to_status="submitted", by=admin_a, note=n
        )
        Objection.objects.create(assessment=assessment_a, text=f"异议{n}", filed_by=admin_a)

    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        response = client_for(admin_a).get(f"{URL}{assessment_a.pk}/")

    assert len(response.json()["events"]) == events
    assert len(response.json()["objections"]) == events


# Submit


@pytest.mark.parametrize("who", ["owner", "admin_a", "superuser"])
def test_teacher_and_administrators_of_the_school_submit(who, request, student_a, term):
    user = request.getfixturevalue(who)

    response = client_for(user).post(URL, submission(student_a, term), format="json")

    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(pk=response.json()["id"])
    assert (assessment.status, assessment.route, assessment.created_by) == (
        "submitted",
        "application",
        user,
    )
    assert assessment.reason == "母亲长期患病"
    assert assessment.commitment == "本人承诺所填信息真实"
    event = assessment.events.get()
    assert (event.action, event.from_status, event.to_status, event.by) == (
        "submit",
        "",
        "submitted",
        user,
    )


@pytest.mark.parametrize(
    "status",
    [None, PairingStatus.PROPOSED, PairingStatus.ENDED],
    ids=["no-pairing", "proposed", "ended"],
)
def test_teacher_cannot_submit_a_student_of_the_school_they_do_not_teach(
    colleague, student_a, term, status
):
    # Before, any teacher of the school could submit any of its students, and the
    # answer (and the assessment they could then read) showed the child's name
    # and masked ID number.
    if status is not None:
        teaching(colleague, student_a, term, status=status)
    before = counts()

    response = client_for(colleague).post(
        URL, submission(student_a, term), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"student": ["No such student in your schools."]}
    assert "王小明" not in response.content.decode()
    assert counts() == before


def test_a_mentor_who_is_not_a_teacher_of_the_school_cannot_submit(school_a, student_a, term):
    volunteer = teaching(member(Role.VOLUNTEER, school_a), student_a, term)

    response = client_for(volunteer).post(URL, submission(student_a, term), format="json")

    assert response.status_code == 403
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "admin_b"])
def test_staff_of_another_school_cannot_submit_and_learn_nothing(who, request, student_a, term):
    before = counts()

    response = client_for(request.getfixturevalue(who)).post(
        URL, submission(student_a, term), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"student": ["No such student in your schools."]}
    assert counts() == before


def test_submit_for_a_student_that_does_not_exist_reads_like_a_foreign_one(admin_a, term):
    response = client_for(admin_a).post(
        URL,
        {"student": 999_999, "term": term.pk, "reason": "r", "commitment": "c"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.json() == {"student": ["No such student in your schools."]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"commitment": ""}, "commitment"),
        ({"commitment": "x" * 2001}, "commitment"),
        ({"student": "abc"}, "student"),
        ({"term": 0}, "term"),
    ],
)
def test_submit_with_bad_input_answers_400_naming_the_field(
    change, field, admin_a, student_a, term
):
    before = counts()

    payload = {**submission(student_a, term), **change}

    response = client_for(admin_a).post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_submit_for_a_term_of_another_district(admin_a, student_a):
    foreign_term = TermFactory(district=DistrictFactory(code="D-OTHER"))
    before = counts()

    response = client_for(admin_a).post(URL, submission(student_a, foreign_term), format="json")

    assert response.status_code == 400
    assert "term" in response.json()
    assert counts() == before


def test_submit_for_a_student_without_an_archive_record_this_term(admin_a, school_a, term):
    student = StudentFactory(school=school_a)
    before = counts()

    response = client_for(admin_a).post(URL, submission(student, term), format="json")

    assert response.status_code == 400
    assert "student" in response.json()
    assert counts() == before


def test_second_submission_for_the_same_student_and_term_answers_400(
    admin_a, owner, student_a, term
):
    first = client_for(owner).post(URL, submission(student_a, term), format="json")
    before = counts()

    second = client_for(admin_a).post(
        URL, submission(student_a, term), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json() == {"student": ["The student already has an assessment for this term."]}
    assert counts() == before


# Acting on someone else's assessment


@pytest.mark.parametrize("action", ["review", "publicize", "approve", "reject", "object"])
def test_administrator_of_another_school_gets_404_for_every_action(action, admin_b, assessment_a):
    before = counts()

    response = client_for(admin_b).post(
        f"{URL}{assessment_a.pk}/{action}/", {"note": "n", "reason": "r", "text": "t"}
    )

    assert response.status_code == 404
    assert counts() == before


def test_colleague_teacher_cannot_investigate_an_assessment_they_cannot_see(
    colleague, assessment_a
):
    response = client_for(colleague).post(f"{URL}{assessment_a.pk}/review/", {"note": "家访"})

    assert response.status_code == 404
    assessment_a.refresh_from_db()
    assert assessment_a.status == "submitted"


def test_teacher_cannot_take_the_administrators_review_stages(owner, student_a, term):
    assessment = AssessmentFactory(
        student=student_a, term=term, created_by=owner, status=AssessmentStatus.INVESTIGATED
    )

    response = client_for(owner).post(
        f"{URL}{assessment.pk}/review/", {"note": "评议"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role in this school does not allow this action."}
    assessment.refresh_from_db()
    assert assessment.status == "investigated"
    assert assessment.events.count() == 0


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_teacher_cannot_approve_or_reject_their_own_submission(action, owner, student_a, term):
    assessment = AssessmentFactory(
        student=student_a, term=term, created_by=owner, status=AssessmentStatus.PROPOSED
    )

    body = {"approve": {"note": "n"}, "reject": {"reason": "r"}}[action]
    response = client_for(owner).post(f"{URL}{assessment.pk}/{action}/", body)

    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "proposed"


# Objections through the public-notice flow


@pytest.fixture
def under_notice(student_a, term, owner):
    return AssessmentFactory(
        student=student_a,
        term=term,
        created_by=owner,
        status=AssessmentStatus.PUBLICIZED,
        tier="hardship",
        notice_starts_on=date(2026, 9, 14),
        notice_ends_on=date(2026, 9, 18),
    )


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.DONOR, Role.VOLUNTEER, Role.TEACHER, Role.ADMINISTRATOR]
)
def test_anyone_with_a_role_in_the_school_may_object_while_the_notice_runs(
    role, school_a, under_notice
):
    user = member(role, school_a)

    with on(NOTICE_DAY):
        response = client_for(user).post(
            f"{URL}{under_notice.pk}/object/", {"text": "情况不实"}, format="json"
        )

    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"id", "assessment", "text", "filed_at", "answer", "answered_at"}
    objection = Objection.objects.get()
    assert (objection.assessment, objection.filed_by, objection.text) == (
        under_notice,
        user,
        "情况不实",
    )
    event = under_notice.events.get()
    assert (event.action, event.from_status, event.to_status, event.by) == (
        "object",
        "publicized",
        "publicized",
        user,
    )


def test_supervisor_objects_but_still_cannot_read_the_record(school_a, under_notice):
    supervisor = member(Role.SUPERVISOR, school_a)

    with on(NOTICE_DAY):
        client_for(supervisor).post(f"{URL}{under_notice.pk}/object/", {"text": "异议"})
        read = client_for(supervisor).get(f"{URL}{under_notice.pk}/")

    assert read.status_code == 403
    assert "王小明" not in read.content.decode()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TEACHER, Role.ADMINISTRATOR])
def test_member_of_another_school_cannot_object(role, school_b, under_notice):
    with on(NOTICE_DAY):
        response = client_for(member(role, school_b)).post(
            f"{URL}{under_notice.pk}/object/", {"text": "异议"}
        )

    assert response.status_code == 404
    assert Objection.objects.count() == 0


def test_supervisor_cannot_object_to_an_assessment_not_under_notice(school_a, assessment_a):
    with on(NOTICE_DAY):
        response = client_for(member(Role.SUPERVISOR, school_a)).post(
            f"{URL}{assessment_a.pk}/object/", {"text": "异议"}
        )

    assert response.status_code == 404
    assert Objection.objects.count() == 0


def test_objection_needs_text(school_a, under_notice):
    with on(NOTICE_DAY):
        response = client_for(member(Role.SUPERVISOR, school_a)).post(
            f"{URL}{under_notice.pk}/object/", {"text": ""}
        )

    assert response.status_code == 400
    assert "text" in response.json()
    assert counts()[1:] == (0, 0)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TEACHER])
def test_only_administrators_answer_objections(role, school_a, under_notice):
    objection = Objection.objects.create(assessment=under_notice, text="异议")
    user = member(role, school_a)

    response = client_for(user).post(
        f"{URL}{under_notice.pk}/objections/{objection.pk}/answer/", {"answer": "答复"}
    )

    assert response.status_code in (403, 404)
    objection.refresh_from_db()
    assert objection.answer == ""


def test_owner_teacher_cannot_answer_an_objection(owner, under_notice):
    objection = Objection.objects.create(assessment=under_notice, text="异议")

    response = client_for(owner).post(
        f"{URL}{under_notice.pk}/objections/{objection.pk}/answer/", {"answer": "答复"}
    )

    assert response.status_code == 403
    objection.refresh_from_db()
    assert objection.answered_at is None


def test_answer_needs_text(admin_a, under_notice):
    objection = Objection.objects.create(assessment=under_notice, text="异议")

    response = client_for(admin_a).post(
        f"{URL}{under_notice.pk}/objections/{objection.pk}/answer/", {"answer": ""}
    )

    assert response.status_code == 400
    assert "answer" in response.json()
    objection.refresh_from_db()
    assert objection.answered_at is None
