"""The identification workflow of DESIGN §2.2, through the API, step by step.

Dates are fixed by patching `django.utils.timezone.localdate`: the notice
rules depend on what day it is.
"""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest

from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    HardshipKind,
    Objection,
    Role,
)
from mentoring.services import identification
from mentoring.services.need_score import need_score
from tests.conftest import client_for
from tests.mentoring.applications.records import review_records
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    HardshipIndicatorFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

URL = "/api/v1/assessments/"


@contextmanager
def on(day: date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def act(client, assessment_id, action, payload=None, day=date(2026, 9, 14)):
    with on(day):
        return client.post(
            f"{URL}{assessment_id}/{action}/",
            payload or {},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )


def counts():
    return (Assessment.objects.count(), AssessmentEvent.objects.count(), Objection.objects.count())


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def student(school_a, term):
    student = StudentFactory(school=school_a, name="王小明")
    StudentRecordFactory(student=student, term=term, income_per_capita_fen=320_000)
    HardshipIndicatorFactory(student=student, kind=HardshipKind.DIBAO)
    return student


@pytest.fixture
def teacher(school_a, student, term):
    """The student's teacher: Bangfu records no class teacher, so their mentor this term."""
    user = member(Role.TEACHER, school_a, username="class.teacher")
    PairingFactory(student=student, term=term, mentor=MentorFactory(user=user, schools=[school_a]))
    return user


@pytest.fixture
def supervisor(school_a):
    return member(Role.SUPERVISOR, school_a, username="supervisor.a")


def in_status(status, student, term, **fields):
    # With its investigation and committees' decisions on record: these tests are of `review`.
    return review_records(AssessmentFactory(student=student, term=term, status=status, **fields))


def publicized(student, term, starts=date(2026, 9, 14), ends=date(2026, 9, 18), **fields):
    return in_status(
        AssessmentStatus.PUBLICIZED,
        student,
        term,
        tier="hardship",
        notice_starts_on=starts,
        notice_ends_on=ends,
        **fields,
    )


# The whole walk


def test_one_student_from_application_to_approval_with_an_objection(
    student, term, teacher, admin_a, supervisor
):
    as_teacher, as_admin = client_for(teacher), client_for(admin_a)

    # The class teacher proposes the student, with the family's commitment.
    with on(date(2026, 9, 14)):
        submitted = as_teacher.post(
            URL,
            {
                "student": student.pk,
                "term": term.pk,
                "reason": "父亲务工受伤 家庭收入减少",
                "commitment": "本人承诺所填信息真实",
            },
            format="json",
        )
    assert submitted.status_code == 201, submitted.json()
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["route"] == "application"
    assert body["allowed_actions"] == ["investigate"]
    assert body["commitment"] == "本人承诺所填信息真实"
    assessment_id = body["id"]
    # The investigation and the committees' decisions are recorded on their own
    # endpoints (tests/mentoring/applications); here `review` takes each step.
    review_records(Assessment.objects.get(pk=assessment_id))

    investigated = act(as_teacher, assessment_id, "review", {"note": "家访 住房简陋"})
    assert investigated.status_code == 200, investigated.json()
    assert investigated.json()["status"] == "investigated"

    class_reviewed = act(as_admin, assessment_id, "review", {"note": "班级评议小组通过"})
    assert class_reviewed.json()["status"] == "class_reviewed"

    school_reviewed = act(
        as_admin, assessment_id, "review", {"note": "学校审核", "tier": "hardship"}
    )
    assert school_reviewed.json()["status"] == "school_reviewed"
    assert school_reviewed.json()["tier"] == "hardship"
    assert (
        school_reviewed.json()["tier_name"] == "Hardship"
    )  # the default tier, in the request's language
    # 30 for 低保, and 40 - 3,200 yuan / 250 yuan = 28 for the income.
    assert school_reviewed.json()["need_score"] == 58

    # Posted on a Thursday before the two holiday weeks: five working days
    # are 24 September (Friday 25 is the Mid-autumn festival, a public
    # holiday) and 12 to 15 October.
    published = act(
        as_admin,
        assessment_id,
        "publicize",
        {"notice_starts_on": "2026-09-24"},
        day=date(2026, 9, 21),
    )
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "publicized"
    assert published.json()["notice_starts_on"] == "2026-09-24"
    assert published.json()["notice_ends_on"] == "2026-10-15"

    objected = act(
        client_for(supervisor),
        assessment_id,
        "object",
        {"text": "该生家庭新购轿车"},
        day=date(2026, 9, 25),
    )
    assert objected.status_code == 201, objected.json()
    objection_id = objected.json()["id"]
    assert Assessment.objects.get(pk=assessment_id).status == "publicized"

    last_day = act(as_admin, assessment_id, "approve", day=date(2026, 10, 15))
    assert last_day.status_code == 409
    assert "2026-10-15" in last_day.json()["detail"]

    unanswered = act(as_admin, assessment_id, "approve", day=date(2026, 10, 16))
    assert unanswered.status_code == 409
    assert unanswered.json()["detail"] == "Every objection must be answered before approval."
    assert unanswered.json()["allowed_actions"] == ["answer", "reject"]

    answered = act(
        as_admin,
        assessment_id,
        f"objections/{objection_id}/answer",
        {"answer": "经核实 轿车为亲属所有"},
        day=date(2026, 10, 16),
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["allowed_actions"] == ["approve", "reject"]

    approved = act(as_admin, assessment_id, "approve", {"note": "领导小组审批"}, date(2026, 10, 16))
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_on"] == "2026-10-16"
    assert approved.json()["allowed_actions"] == []

    with on(date(2026, 10, 16)):
        detail = as_admin.get(f"{URL}{assessment_id}/").json()
    history = [
        (e["action"], e["from_status"], e["to_status"], e["by_username"]) for e in detail["events"]
    ]
    assert history == [
        ("submit", "", "submitted", "class.teacher"),
        ("review", "submitted", "investigated", "class.teacher"),
        ("review", "investigated", "class_reviewed", admin_a.username),
        ("review", "class_reviewed", "school_reviewed", admin_a.username),
        ("publicize", "school_reviewed", "publicized", admin_a.username),
        ("object", "publicized", "publicized", "supervisor.a"),
        ("answer", "publicized", "publicized", admin_a.username),
        ("approve", "publicized", "approved", admin_a.username),
    ]
    times = [e["at"] for e in detail["events"]]
    assert times == sorted(times)
    assert detail["events"][1]["note"] == "家访 住房简陋"
    [objection] = detail["objections"]
    assert objection["text"] == "该生家庭新购轿车"
    assert objection["filed_by_username"] == "supervisor.a"
    assert objection["answer"] == "经核实 轿车为亲属所有"
    assert objection["answered_by"] == admin_a.pk
    assert objection["answered_at"] is not None


# Out of order


def test_action_out_of_order_answers_409_with_the_allowed_actions(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SUBMITTED, student, term)
    before = counts()

    approve = act(client_for(admin_a), assessment.pk, "approve")
    publicize = act(client_for(admin_a), assessment.pk, "publicize")

    assert approve.status_code == 409
    assert approve.json()["allowed_actions"] == ["investigate", "reject"]
    assert "approve" in approve.json()["detail"]
    assert publicize.status_code == 409
    assert publicize.json()["allowed_actions"] == ["investigate", "reject"]
    assert counts() == before
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_teacher_is_told_only_the_actions_a_teacher_may_take(student, term, teacher):
    assessment = in_status(AssessmentStatus.SUBMITTED, student, term, created_by=teacher)

    response = act(client_for(teacher), assessment.pk, "publicize")

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["investigate"]


@pytest.mark.parametrize("status", [AssessmentStatus.APPROVED, AssessmentStatus.REJECTED])
@pytest.mark.parametrize("action", ["review", "publicize", "approve", "reject"])
def test_a_final_assessment_takes_no_further_action(status, action, student, term, admin_a):
    assessment = in_status(status, student, term, tier="hardship")

    body = {"reject": {"reason": "x"}, "publicize": {}}.get(action, {"note": "x"})
    response = act(client_for(admin_a), assessment.pk, action, body)

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == []
    assessment.refresh_from_db()
    assert assessment.status == status


def test_objection_before_the_notice_starts_is_refused(student, term, admin_a):
    assessment = publicized(student, term, starts=date(2026, 9, 21), ends=date(2026, 9, 25))

    response = act(
        client_for(admin_a), assessment.pk, "object", {"text": "异议"}, date(2026, 9, 18)
    )

    assert response.status_code == 409
    assert "2026-09-21" in response.json()["detail"]
    assert Objection.objects.count() == 0


def test_objection_after_the_notice_ended_is_refused(student, term, admin_a):
    assessment = publicized(student, term)

    response = act(
        client_for(admin_a), assessment.pk, "object", {"text": "异议"}, date(2026, 9, 21)
    )

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["approve", "reject"]
    assert Objection.objects.count() == 0


def test_an_objection_is_answered_once(student, term, admin_a):
    assessment = publicized(student, term)
    objection = Objection.objects.create(assessment=assessment, text="异议")
    url = f"objections/{objection.pk}/answer"
    act(client_for(admin_a), assessment.pk, url, {"answer": "第一次答复"})

    again = act(client_for(admin_a), assessment.pk, url, {"answer": "第二次答复"})

    assert again.status_code == 409
    assert "objection" in again.json()
    objection.refresh_from_db()
    assert objection.answer == "第一次答复"


def test_answer_to_an_objection_of_another_assessment_is_404(student, term, admin_a, school_a):
    assessment = publicized(student, term)
    other = publicized(StudentFactory(school=school_a), term)
    foreign = Objection.objects.create(assessment=other, text="异议")

    response = act(
        client_for(admin_a), assessment.pk, f"objections/{foreign.pk}/answer", {"answer": "答复"}
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.answer == ""


def test_approval_after_the_notice_with_every_objection_answered(student, term, admin_a):
    assessment = publicized(student, term)
    Objection.objects.create(
        assessment=assessment, text="异议", answer="已答复", answered_at="2026-09-16T10:00:00+08:00"
    )

    response = act(client_for(admin_a), assessment.pk, "approve", day=date(2026, 9, 19))

    assert response.status_code == 200
    assert response.json()["status"] == "approved"


# Reject


def test_reject_needs_a_reason_and_records_it(student, term, admin_a):
    assessment = in_status(AssessmentStatus.INVESTIGATED, student, term)

    missing = act(client_for(admin_a), assessment.pk, "reject", {})
    blank = act(client_for(admin_a), assessment.pk, "reject", {"reason": "   "})
    rejected = act(client_for(admin_a), assessment.pk, "reject", {"reason": "家庭收入超过标准"})

    assert missing.status_code == 400
    assert "reason" in missing.json()
    assert blank.status_code == 400
    assert "reason" in blank.json()
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decided_on"] == "2026-09-14"
    event = AssessmentEvent.objects.get(assessment=assessment)
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "reject",
        "investigated",
        "rejected",
        "家庭收入超过标准",
    )


# Tiers and the notice period per district


@pytest.fixture
def custom_district(db):
    return DistrictFactory(
        code="D-CUSTOM",
        tiers=[{"code": "a_level", "name": "A档"}, {"code": "b_level", "name": "B档"}],
        notice_working_days=7,
    )


@pytest.fixture
def custom_setup(custom_district):
    school = SchoolFactory(district=custom_district)
    term = TermFactory(district=custom_district, holiday_weeks=[])
    student = StudentFactory(school=school)
    StudentRecordFactory(student=student, term=term)
    admin = member(Role.ADMINISTRATOR, school)
    return admin, review_records(
        AssessmentFactory(student=student, term=term, status=AssessmentStatus.CLASS_REVIEWED)
    )


def test_school_review_refuses_a_tier_the_district_does_not_have(custom_setup):
    admin, assessment = custom_setup
    before = counts()

    response = act(client_for(admin), assessment.pk, "review", {"note": "审核", "tier": "hardship"})

    assert response.status_code == 400
    assert "a_level, b_level, not_in_hardship" in response.json()["tier"][0]
    assert counts() == before
    assessment.refresh_from_db()
    assert (assessment.status, assessment.tier) == ("class_reviewed", "")


def test_school_review_takes_the_district_tier_and_notice_counts_its_days(custom_setup):
    admin, assessment = custom_setup
    client = client_for(admin)

    reviewed = act(client, assessment.pk, "review", {"note": "审核", "tier": "b_level"})
    published = act(client, assessment.pk, "publicize", day=date(2026, 9, 14))

    assert reviewed.json()["tier_name"] == "B档"
    # Seven working days from Monday 14 September: to Monday 21 September,
    # Sunday 20 September being a make-up working day (调休) of National Day.
    assert published.json()["notice_starts_on"] == "2026-09-14"
    assert published.json()["notice_ends_on"] == "2026-09-21"


def test_school_review_needs_a_tier(student, term, admin_a):
    assessment = in_status(AssessmentStatus.CLASS_REVIEWED, student, term)

    response = act(client_for(admin_a), assessment.pk, "review", {"note": "审核"})

    assert response.status_code == 400
    assert "tier" in response.json()
    assessment.refresh_from_db()
    assert assessment.status == "class_reviewed"


def test_earlier_review_stages_do_not_take_a_tier(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SUBMITTED, student, term)

    response = act(
        client_for(admin_a), assessment.pk, "review", {"note": "家访", "tier": "hardship"}
    )

    assert response.status_code == 400
    assert "tier" in response.json()
    assert AssessmentEvent.objects.count() == 0


def test_review_needs_a_note(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SUBMITTED, student, term)

    response = act(client_for(admin_a), assessment.pk, "review", {"note": ""})

    assert response.status_code == 400
    assert "note" in response.json()
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_not_in_hardship_is_an_approved_outcome(student, term, admin_a):
    assessment = in_status(AssessmentStatus.CLASS_REVIEWED, student, term)
    client = client_for(admin_a)

    reviewed = act(client, assessment.pk, "review", {"note": "审核", "tier": "not_in_hardship"})
    act(client, assessment.pk, "publicize", day=date(2026, 9, 14))
    approved = act(client, assessment.pk, "approve", day=date(2026, 9, 21))

    assert reviewed.json()["tier_name"] == "Not in hardship"
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["tier"] == "not_in_hardship"


# Publicize


def test_notice_cannot_start_in_the_past(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SCHOOL_REVIEWED, student, term, tier="hardship")

    response = act(
        client_for(admin_a),
        assessment.pk,
        "publicize",
        {"notice_starts_on": "2026-09-11"},
        day=date(2026, 9, 14),
    )

    assert response.status_code == 400
    assert "notice_starts_on" in response.json()
    assessment.refresh_from_db()
    assert (assessment.status, assessment.notice_starts_on) == ("school_reviewed", None)


def test_notice_cannot_start_after_the_term(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SCHOOL_REVIEWED, student, term, tier="hardship")

    response = act(
        client_for(admin_a), assessment.pk, "publicize", {"notice_starts_on": "2027-02-01"}
    )

    assert response.status_code == 400
    assert "notice_starts_on" in response.json()


def test_notice_start_must_be_a_date(student, term, admin_a):
    assessment = in_status(AssessmentStatus.SCHOOL_REVIEWED, student, term, tier="hardship")

    response = act(client_for(admin_a), assessment.pk, "publicize", {"notice_starts_on": "soon"})

    assert response.status_code == 400
    assert "notice_starts_on" in response.json()


# Government-list route


def test_a_proposed_student_from_a_government_list_is_approved_without_notice(
    student, term, admin_a
):
    assessment = in_status(
        AssessmentStatus.PROPOSED, student, term, route="government_list", tier="special_hardship"
    )

    response = act(client_for(admin_a), assessment.pk, "approve")

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["notice_starts_on"] is None


def test_a_proposed_student_cannot_be_publicized(student, term, admin_a):
    assessment = in_status(AssessmentStatus.PROPOSED, student, term, route="government_list")

    response = act(client_for(admin_a), assessment.pk, "publicize")

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["approve", "reject"]


# The state machine and the need score, without HTTP


def test_every_non_final_status_can_be_rejected_and_final_ones_cannot():
    rejectable = {source for (source, action) in identification.TRANSITIONS if action == "reject"}

    assert rejectable == set(AssessmentStatus.values) - {"approved", "rejected"}


def test_need_score_counts_each_indicator_kind_once_and_lower_income_higher():
    score = need_score

    assert score(kinds=["dibao", "dibao", "orphan"], income_per_capita_fen=None) == 70
    assert score(kinds=[], income_per_capita_fen=0) == 40
    assert score(kinds=[], income_per_capita_fen=1_000_000) == 0
    assert score(kinds=[], income_per_capita_fen=5_000_000) == 0
    assert score(kinds=["tekun"], income_per_capita_fen=100_000) > score(
        kinds=["dibao"], income_per_capita_fen=100_000
    )
