"""The spring re-check: `POST assessments/{id}/recheck/` and `GET assessments/carry-over/`.

An autumn identification holds for the school year; the spring term re-checks
it (the student left, or the family's circumstances changed) through the same
workflow and public notice as any identification.
"""

from datetime import date

import pytest

from mentoring.models import Assessment, AssessmentStatus, Role
from mentoring.selectors.school_year import identifications_in_force
from tests.conftest import client_for
from tests.mentoring.applications.records import review_records
from tests.mentoring.assessments.assessment_scene import URL, counts, on, submission
from workers.factories import (
    AssessmentFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

SPRING_DAY = date(2027, 3, 1)


@pytest.fixture
def spring(district):
    return TermFactory(
        district=district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=date(2027, 2, 22),
        end_date=date(2027, 7, 2),
        holiday_weeks=[],
    )


@pytest.fixture
def identified_a(assessment_a):
    """Student A identified in the autumn: approved, in hardship."""
    assessment_a.status = AssessmentStatus.APPROVED
    assessment_a.tier = "hardship"
    assessment_a.decided_on = date(2026, 10, 20)
    assessment_a.save()
    return assessment_a


@pytest.fixture
def enrolled_in_spring(student_a, spring):
    return StudentRecordFactory(student=student_a, term=spring)


def recheck_url(assessment) -> str:
    return f"{URL}{assessment.pk}/recheck/"


def recheck(spring, change="circumstances", reason="父亲已重新就业"):
    return {"term": spring.pk, "change": change, "reason": reason}


def walk_to_approval(client, assessment_id, *, tier="", today=SPRING_DAY):
    """The application's workflow for a re-check: three reviews, the notice, approval.

    Each review rests on its record (the investigation with its visit, the committees'
    agreement), written here as the applications' tests write them.
    """
    review_records(Assessment.objects.get(pk=assessment_id))
    with on(today):
        for note, given in [("家访", ""), ("班级评议", ""), ("学校评议", tier)]:
            response = client.post(
                f"{URL}{assessment_id}/review/", {"note": note, "tier": given}, format="json"
            )
            assert response.status_code == 200, response.json()
        response = client.post(f"{URL}{assessment_id}/publicize/", {}, format="json")
        assert response.status_code == 200, response.json()
        notice_ends_on = date.fromisoformat(response.json()["notice_ends_on"])
    with on(date.fromordinal(notice_ends_on.toordinal() + 1)):
        response = client.post(f"{URL}{assessment_id}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


# Recording a re-check


@pytest.mark.parametrize("who", ["owner", "admin_a", "superuser"])
def test_staff_who_see_the_identification_record_its_spring_recheck(
    who, request, identified_a, enrolled_in_spring, spring
):
    user = request.getfixturevalue(who)

    response = client_for(user).post(recheck_url(identified_a), recheck(spring), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["term"], body["route"], body["status"]) == (spring.pk, "recheck", "submitted")
    assert (body["carried_from"], body["change"], body["tier"]) == (
        identified_a.pk,
        "circumstances",
        "",
    )
    assert [(e["action"], e["to_status"]) for e in body["events"]] == [("recheck", "submitted")]
    # Under way, the re-check changes nothing: the autumn identification stays in force.
    assert list(identifications_in_force(spring).values_list("pk", flat=True)) == [identified_a.pk]


@pytest.mark.parametrize("who", ["colleague", "outsider", "admin_b"])
def test_staff_who_do_not_see_the_identification_get_404(who, request, identified_a, spring):
    before = counts()

    response = client_for(request.getfixturevalue(who)).post(
        recheck_url(identified_a), recheck(spring), format="json"
    )

    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_cannot_recheck(role, school_a, identified_a, spring):
    response = client_for(member(role, school_a)).post(
        recheck_url(identified_a), recheck(spring), format="json"
    )

    assert response.status_code == 403
    assert Assessment.objects.count() == 1


def test_anonymous_gets_401(api, identified_a, spring):
    assert api.post(recheck_url(identified_a), recheck(spring), format="json").status_code == 401
    assert api.get(f"{URL}carry-over/", {"term": spring.pk}).status_code == 401


def test_bad_input_names_every_field_and_writes_nothing(admin_a, identified_a, spring):
    before = counts()

    response = client_for(admin_a).post(
        recheck_url(identified_a),
        {"term": 0, "change": "moved_house", "reason": "", "tier": "hardship"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"term", "change", "reason", "tier"}
    assert counts() == before


def test_empty_body_names_the_three_fields(admin_a, identified_a):
    response = client_for(admin_a).post(
        recheck_url(identified_a), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"term", "change", "reason"}


def test_service_checks_join_the_serializers_in_one_answer(admin_a, identified_a, term):
    # The term is a valid integer but the autumn itself, and the reason is blank
    # after stripping: both are named, with the serializer's refusal of `change`.
    response = client_for(admin_a).post(
        recheck_url(identified_a),
        {"term": term.pk, "change": "x", "reason": "   "},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"term", "change", "reason"}
    assert body["term"] == ["No such later term in the school year 2026-2027."]


def test_a_term_of_the_next_school_year_is_refused(admin_a, identified_a, district):
    next_autumn = TermFactory(
        district=district,
        code="2027-autumn",
        school_year="2027-2028",
        start_date=date(2027, 9, 1),
        end_date=date(2028, 1, 21),
    )

    response = client_for(admin_a).post(
        recheck_url(identified_a), recheck(next_autumn), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"term": ["No such later term in the school year 2026-2027."]}


def test_only_an_approved_identification_is_rechecked(admin_a, assessment_a, spring):
    response = client_for(admin_a).post(
        recheck_url(assessment_a), recheck(spring), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 409
    assert Assessment.objects.count() == 1


def test_an_identification_is_rechecked_once_per_term(
    admin_a, identified_a, enrolled_in_spring, spring
):
    client = client_for(admin_a)
    assert client.post(recheck_url(identified_a), recheck(spring), format="json").status_code == 201

    response = client.post(
        recheck_url(identified_a), recheck(spring), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"term": ["The student already has an assessment for this term."]}


def test_changed_circumstances_need_the_spring_roster_but_a_student_who_left_does_not(
    admin_a, identified_a, spring
):
    client = client_for(admin_a)

    refused = client.post(
        recheck_url(identified_a), recheck(spring), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    left = client.post(recheck_url(identified_a), recheck(spring, "left", "转学"), format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "term": ["The student has no archive record for this term; import the roster first."]
    }
    assert left.status_code == 201, left.json()


def test_a_carried_student_is_not_submitted_afresh_in_spring(
    admin_a, identified_a, enrolled_in_spring, student_a, spring
):
    response = client_for(admin_a).post(
        URL, submission(student_a, spring), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {
        "student": [
            "The student's identification of 2026 autumn term holds for the school year; "
            "record a re-check of it instead."
        ]
    }


# Through the workflow


def test_a_student_who_left_gets_no_tier_and_approval_withdraws_the_identification(
    admin_a, identified_a, spring
):
    client = client_for(admin_a)
    created = client.post(
        recheck_url(identified_a), recheck(spring, "left", "转学至外县"), format="json"
    ).json()
    review_records(Assessment.objects.get(pk=created["id"]))
    with on(SPRING_DAY):
        for note in ["家访", "班级评议"]:
            client.post(f"{URL}{created['id']}/review/", {"note": note}, format="json")
        graded = client.post(
            f"{URL}{created['id']}/review/",
            {"note": "学校评议", "tier": "hardship"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert graded.status_code == 400
    assert graded.json() == {
        "tier": ["A student who left gets no tier: the re-check withdraws the identification."]
    }

    with on(SPRING_DAY):
        reviewed = client.post(f"{URL}{created['id']}/review/", {"note": "学校评议"}, format="json")
        assert reviewed.status_code == 200, reviewed.json()
        notice = client.post(f"{URL}{created['id']}/publicize/", {}, format="json").json()
    with on(date.fromordinal(date.fromisoformat(notice["notice_ends_on"]).toordinal() + 1)):
        approved = client.post(f"{URL}{created['id']}/approve/", {}, format="json")

    assert approved.status_code == 200, approved.json()
    in_force = identifications_in_force(spring).get()
    assert (in_force.pk, in_force.tier) == (created["id"], "")


def test_a_changed_tier_goes_through_the_public_notice_and_then_holds(
    admin_a, identified_a, enrolled_in_spring, spring
):
    client = client_for(admin_a)
    created = client.post(recheck_url(identified_a), recheck(spring), format="json").json()

    approved = walk_to_approval(client, created["id"], tier="special_hardship")

    assert [e["action"] for e in approved["events"]] == [
        "recheck",
        "review",
        "review",
        "review",
        "publicize",
        "approve",
    ]
    assert approved["notice_starts_on"] == SPRING_DAY.isoformat()
    in_force = identifications_in_force(spring).get()
    assert (in_force.pk, in_force.tier) == (created["id"], "special_hardship")


# The carry-over summary


def carry_over(client, **params):
    return client.get(f"{URL}carry-over/", params, HTTP_ACCEPT_LANGUAGE="en")


def test_carry_over_sorts_the_springs_identifications(
    admin_a, school_a, identified_a, enrolled_in_spring, term, spring
):
    client = client_for(admin_a)
    # Carried unchanged: a second autumn student with no re-check.
    kept = StudentFactory(school=school_a)
    StudentRecordFactory(student=kept, term=spring)
    carried = AssessmentFactory(
        student=kept, term=term, status=AssessmentStatus.APPROVED, tier="hardship"
    )
    # Withdrawn: a third who left, re-checked and approved with no tier.
    leaver = StudentFactory(school=school_a)
    left = AssessmentFactory(
        student=leaver, term=term, status=AssessmentStatus.APPROVED, tier="hardship"
    )
    withdrawn = AssessmentFactory(
        student=leaver,
        term=spring,
        route="recheck",
        carried_from=left,
        change="left",
        status=AssessmentStatus.APPROVED,
    )
    # Pending: student A's re-check under way. New: a spring application.
    pending = client.post(recheck_url(identified_a), recheck(spring), format="json").json()["id"]
    newcomer = StudentFactory(school=school_a)
    StudentRecordFactory(student=newcomer, term=spring)
    new = AssessmentFactory(student=newcomer, term=spring)

    response = carry_over(client, term=spring.pk)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "term": spring.pk,
        "earlier_term": term.pk,
        "carried": sorted([identified_a.pk, carried.pk]),
        "withdrawn": [withdrawn.pk],
        "changed": [],
        "confirmed": [],
        "pending": [pending],
        "new": [new.pk],
    }


def test_carry_over_shows_only_what_the_user_sees(admin_b, identified_a, spring):
    response = carry_over(client_for(admin_b), term=spring.pk)

    assert response.status_code == 200
    assert response.json()["carried"] == []


def test_carry_over_filters_by_school(admin_a, school_b, identified_a, spring):
    response = carry_over(client_for(admin_a), term=spring.pk, school=school_b.pk)

    assert response.json()["carried"] == []


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_cannot_read_the_carry_over(role, school_a, spring):
    assert carry_over(client_for(member(role, school_a)), term=spring.pk).status_code == 403


@pytest.mark.parametrize(
    ("params", "fields"),
    [({}, {"term"}), ({"term": "x", "school": "y"}, {"term", "school"}), ({"term": 0}, {"term"})],
)
def test_carry_over_bad_query_names_every_field(admin_a, params, fields):
    response = carry_over(client_for(admin_a), **params)

    assert response.status_code == 400
    assert set(response.json()) == fields


def test_carry_over_of_a_term_of_another_district_is_no_such_term(admin_a):
    foreign = TermFactory(code="2027-spring", school_year="2026-2027")

    response = carry_over(client_for(admin_a), term=foreign.pk)

    assert response.status_code == 400
    assert response.json() == {"term": ["No such term."]}


def test_carry_over_reads_in_a_fixed_number_of_queries(
    admin_a, school_a, term, spring, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            student = StudentFactory(school=school_a)
            AssessmentFactory(
                student=student, term=term, status=AssessmentStatus.APPROVED, tier="hardship"
            )
            AssessmentFactory(student=StudentFactory(school=school_a), term=spring)

    client = client_for(admin_a)
    add(2)
    # The user and their memberships for the permission, the term, the carried, the spring's.
    with django_assert_num_queries(5) as few:
        assert len(carry_over(client, term=spring.pk).json()["carried"]) == 2
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(carry_over(client, term=spring.pk).json()["carried"]) == 10
