"""Submitting an assessment: who may, for which student and term, and bad input named."""

import pytest

from mentoring.models import Assessment, PairingStatus, Role
from tests.conftest import client_for
from tests.mentoring.assessments.assessment_scene import URL, counts, submission, teaching
from workers.factories import DistrictFactory, StudentFactory, TermFactory, member

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
