"""/api/v1/assessments/: who sees what, filters, query counts.

The school and its people are in assessment_scene.py, next to this file; submitting and
acting on an assessment (review stages, objections) have files of their own in this folder.
"""

from datetime import date

import pytest

from mentoring.models import AssessmentEvent, AssessmentStatus, Objection, PairingStatus, Role
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.assessments.assessment_scene import (
    ID_NUMBER,
    NOTICE_DAY,
    URL,
    counts,
    ids,
    on,
    submission,
)
from workers.factories import (
    AssessmentFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

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

    # A submitted application is investigated next (the investigation takes the review step).
    assert as_owner["allowed_actions"] == ["investigate"]
    assert as_admin["allowed_actions"] == ["investigate", "reject"]


def test_platform_admin_is_offered_administrator_actions(superuser, assessment_a):
    body = client_for(superuser).get(f"{URL}{assessment_a.pk}/").json()

    assert body["allowed_actions"] == ["investigate", "reject"]


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
