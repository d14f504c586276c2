"""Acting on an assessment: review stages by role, and objections through the public notice."""

from datetime import date

import pytest

from mentoring.models import AssessmentStatus, Objection, Role
from tests.conftest import client_for
from tests.mentoring.assessments.assessment_scene import NOTICE_DAY, URL, counts, on
from workers.factories import AssessmentFactory, member

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
