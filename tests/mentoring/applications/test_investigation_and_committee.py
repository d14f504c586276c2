"""The investigation with its home visit and the review committees' decisions.

The workflow is tested as a table: every action in every status, each answer
and the status it leaves. Then each rule of a step, one test each.
"""

import datetime

import pytest

from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    CommitteeDecision,
    CommitteeRole,
    Investigation,
    Pairing,
    ReviewCommittee,
    ReviewStage,
    SessionKind,
)
from mentoring.services import review_committees as committees
from tests.conftest import client_for
from workers.factories import AssessmentFactory, TutoringSessionFactory

pytestmark = pytest.mark.django_db

# A list page, whatever its length.
LIST_QUERIES = 4

URL = "/api/v1/assessments/"
COMMITTEES = "/api/v1/review-committees/"
MEMBERS = [
    {"name": "陈校长", "role": CommitteeRole.SCHOOL_LEADER},
    {"name": "孙老师", "role": CommitteeRole.TEACHER_REPRESENTATIVE},
    {"name": "周敏", "role": CommitteeRole.PARENT_REPRESENTATIVE},
    {"name": "王大山", "role": CommitteeRole.PARENT_REPRESENTATIVE},
]


@pytest.fixture
def class_group(admin_a, school_a, term):
    return committees.committee_create(
        by=admin_a,
        school_id=school_a.pk,
        term_id=term.pk,
        stage=ReviewStage.CLASS,
        class_name="2班",
        name="四年级2班评议小组",
        members=MEMBERS,
    )


@pytest.fixture
def school_group(admin_a, school_a, term):
    return committees.committee_create(
        by=admin_a,
        school_id=school_a.pk,
        term_id=term.pk,
        stage=ReviewStage.SCHOOL,
        class_name="",
        name="学校资助工作领导小组",
        members=MEMBERS[:3],
    )


def investigation(today, **overrides):
    body = {
        "investigated_on": str(today),
        "investigators": "班主任 李老师",
        "findings": "家访核实：父亲残疾，家中无稳定收入",
        "visited_on": str(today),
    }
    body.update(overrides)
    return body


def decision(committee, today, **overrides):
    members = [m.pk for m in committee.members.all() if m.name != "王大山"]
    body = {
        "committee": committee.pk,
        "decided_on": str(today),
        "members_present": members,
        "outcome": "agreed",
        "votes_for": len(members),
        "votes_against": 0,
        "votes_abstaining": 0,
        "tier": "hardship" if committee.stage == ReviewStage.SCHOOL else "",
        "note": "评议通过",
    }
    body.update(overrides)
    return body


# The workflow as a table ------------------------------------------------------------

NEXT = {
    ("investigate", AssessmentStatus.SUBMITTED): AssessmentStatus.INVESTIGATED,
    ("committee-decision", AssessmentStatus.INVESTIGATED): AssessmentStatus.CLASS_REVIEWED,
    ("committee-decision", AssessmentStatus.CLASS_REVIEWED): AssessmentStatus.SCHOOL_REVIEWED,
}


@pytest.mark.parametrize("status", AssessmentStatus.values)
@pytest.mark.parametrize("action", ["investigate", "committee-decision", "review"])
def test_every_action_in_every_status(
    action, status, admin_a, student, term, today, class_group, school_group
):
    """Only the three steps above are taken; plain `review` never skips its record (409)."""
    notice = {}
    if status == AssessmentStatus.PUBLICIZED:
        notice = {"notice_starts_on": today, "notice_ends_on": today + datetime.timedelta(days=7)}
    assessment = AssessmentFactory(
        student=student, term=term, status=status, tier="hardship", **notice
    )
    if action == "investigate":
        body = investigation(today)
    elif action == "committee-decision":
        committee = school_group if status == AssessmentStatus.CLASS_REVIEWED else class_group
        body = decision(committee, today)
    else:
        body = {"note": "评议", "tier": "hardship" if status == "class_reviewed" else ""}
    answer = client_for(admin_a).post(f"{URL}{assessment.pk}/{action}/", body, format="json")
    assessment.refresh_from_db()
    expected = NEXT.get((action, status))
    if expected is None:
        assert answer.status_code == 409, answer.json()
        assert assessment.status == status
        assert not Investigation.objects.exists() and not CommitteeDecision.objects.exists()
    else:
        assert answer.status_code == 201, answer.json()
        assert assessment.status == expected
        assert answer.json()["assessment"]["status"] == expected
        assert AssessmentEvent.objects.filter(assessment=assessment, to_status=expected).exists()


def test_a_whole_application_goes_from_investigation_to_school_review(
    admin_a, student, term, today, class_group, school_group
):
    assessment = AssessmentFactory(student=student, term=term)
    client = client_for(admin_a)
    steps = [
        ("investigate", investigation(today)),
        ("committee-decision", decision(class_group, today)),
        ("committee-decision", decision(school_group, today)),
    ]
    for action, body in steps:
        answer = client.post(f"{URL}{assessment.pk}/{action}/", body, format="json")
        assert answer.status_code == 201, answer.json()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SCHOOL_REVIEWED
    assert assessment.tier == "hardship"
    assert list(assessment.committee_decisions.values_list("stage", flat=True)) == [
        ReviewStage.CLASS,
        ReviewStage.SCHOOL,
    ]
    class_decision = assessment.committee_decisions.get(stage=ReviewStage.CLASS)
    assert class_decision.members_present.count() == 3
    assert "四年级2班评议小组" in assessment.events.get(to_status="class_reviewed").note


# The investigation -------------------------------------------------------------------


def test_an_investigation_without_a_visit_is_refused(admin_a, student, term, today):
    assessment = AssessmentFactory(student=student, term=term)
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/investigate/",
        investigation(today, visited_on=None),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "home visit" in answer.json()["visited_on"][0]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_bad_investigation_input_names_every_field(admin_a, student, term, today):
    assessment = AssessmentFactory(student=student, term=term)
    tomorrow = str(today + datetime.timedelta(days=1))
    body = {
        "investigated_on": tomorrow,
        "investigators": " ",
        "findings": " ",
        "visited_on": tomorrow,
        "visit_session": 999_999,
        "extra": 1,
    }
    answer = client_for(admin_a).post(f"{URL}{assessment.pk}/investigate/", body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) >= {
        "investigated_on",
        "investigators",
        "findings",
        "visited_on",
        "visit_session",
    }
    assert not Investigation.objects.exists()


def test_a_logged_home_visit_of_the_student_is_the_investigations_visit(
    class_teacher, student, term, today
):
    pairing = Pairing.objects.get(student=student)
    visit = TutoringSessionFactory(
        pairing=pairing, kind=SessionKind.HOME_VISIT, date=today, subject=""
    )
    lesson = TutoringSessionFactory(pairing=pairing, date=today)
    assessment = AssessmentFactory(student=student, term=term, created_by=class_teacher)
    client = client_for(class_teacher)
    refused = client.post(
        f"{URL}{assessment.pk}/investigate/",
        investigation(today, visited_on=None, visit_session=lesson.pk),
        format="json",
    )
    assert refused.status_code == 400 and "visit_session" in refused.json()
    answer = client.post(
        f"{URL}{assessment.pk}/investigate/",
        investigation(today, visited_on=None, visit_session=visit.pk),
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["record"]["visit_session"] == visit.pk
    assert answer.json()["record"]["visited_on"] == str(today)


def test_a_colleague_does_not_find_the_assessment(colleague, student, term, today):
    assessment = AssessmentFactory(student=student, term=term)
    answer = client_for(colleague).post(
        f"{URL}{assessment.pk}/investigate/", investigation(today), format="json"
    )
    assert answer.status_code == 404


# The committees' decisions -----------------------------------------------------------


def investigated(student, term):
    return AssessmentFactory(student=student, term=term, status=AssessmentStatus.INVESTIGATED)


def test_a_teacher_does_not_take_the_committees_step(
    class_teacher, student, term, today, class_group
):
    assessment = AssessmentFactory(
        student=student, term=term, status=AssessmentStatus.INVESTIGATED, created_by=class_teacher
    )
    answer = client_for(class_teacher).post(
        f"{URL}{assessment.pk}/committee-decision/", decision(class_group, today), format="json"
    )
    assert answer.status_code == 403


def test_less_than_a_quorum_is_refused(admin_a, student, term, today, class_group):
    assessment = investigated(student, term)
    one = [class_group.members.first().pk]
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/",
        decision(class_group, today, members_present=one, votes_for=1),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert answer.json()["members_present"] == [
        "More than half of the committee's 4 members must be present."
    ]


def test_the_applicant_does_not_review_their_own_application(
    admin_a, student, term, today, class_group
):
    assessment = investigated(student, term)
    everyone = list(class_group.members.values_list("pk", flat=True))
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/",
        decision(class_group, today, members_present=everyone, votes_for=4),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert answer.json()["members_present"] == [
        "The applicant does not review their own application."
    ]


def test_bad_decision_input_names_every_field(admin_a, student, term, today, class_group):
    assessment = investigated(student, term)
    body = decision(
        class_group,
        today,
        decided_on=str(today + datetime.timedelta(days=3)),
        outcome="not_agreed",
        votes_for=1,
        votes_against=1,
        votes_abstaining=0,
        tier="hardship",
        note=" ",
    )
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/", body, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"decided_on", "votes_for", "tier", "note"}
    assert not CommitteeDecision.objects.exists()


def test_an_outcome_that_does_not_follow_from_the_votes_is_refused(
    admin_a, student, term, today, class_group
):
    assessment = investigated(student, term)
    body = decision(class_group, today, votes_for=1, votes_against=2)
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/", body, format="json"
    )
    assert answer.status_code == 400 and set(answer.json()) == {"outcome"}


def test_a_committee_of_another_class_or_stage_is_refused(
    admin_a, student, term, today, school_group, school_a
):
    assessment = investigated(student, term)
    other_class = committees.committee_create(
        by=admin_a,
        school_id=school_a.pk,
        term_id=term.pk,
        stage=ReviewStage.CLASS,
        class_name="5班",
        name="五班评议小组",
        members=MEMBERS[:3],
    )
    for committee in [school_group, other_class]:
        answer = client_for(admin_a).post(
            f"{URL}{assessment.pk}/committee-decision/",
            decision(committee, today, tier=""),
            format="json",
        )
        assert answer.status_code == 400 and "committee" in answer.json()


def test_a_committee_that_does_not_agree_rejects_the_application(
    admin_a, student, term, today, class_group
):
    assessment = investigated(student, term)
    body = decision(
        class_group,
        today,
        outcome="not_agreed",
        votes_for=0,
        votes_against=3,
        note="家庭收入高于标准",
    )
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/", body, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REJECTED
    reason = assessment.events.get(to_status="rejected").note
    assert "家庭收入高于标准" in reason
    assert today.isoformat() not in reason


def test_an_agreement_needs_no_note_but_a_disagreement_needs_its_reason(
    admin_a, student, term, today, class_group
):
    agreed = investigated(student, term)
    url = f"{URL}{agreed.pk}/committee-decision/"
    not_agreed = decision(class_group, today, outcome="not_agreed", votes_for=0, votes_against=3)

    without_reason = client_for(admin_a).post(url, not_agreed | {"note": " "}, format="json")
    assert without_reason.status_code == 400
    assert set(without_reason.json()) == {"note"}
    assert not CommitteeDecision.objects.exists()

    body = decision(class_group, today)
    del body["note"]
    answer = client_for(admin_a).post(url, body, format="json")

    assert answer.status_code == 201, answer.json()
    assert CommitteeDecision.objects.get().note == ""
    agreed.refresh_from_db()
    assert agreed.status == AssessmentStatus.CLASS_REVIEWED
    # The step's note names the committee and its day, with no empty reason after them.
    step_note = agreed.events.get(to_status="class_reviewed").note
    assert step_note.startswith("四年级2班评议小组") and not step_note.endswith((":", ": ", "："))
    # Its day as the pages write a date in Chinese, not the ISO form.
    assert today.isoformat() not in step_note
    assert f"{today.year}年{today.month}月{today.day}日" in step_note


def test_the_school_review_needs_a_tier(admin_a, student, term, today, school_group):
    assessment = AssessmentFactory(
        student=student, term=term, status=AssessmentStatus.CLASS_REVIEWED
    )
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/",
        decision(school_group, today, tier=""),
        format="json",
    )
    assert answer.status_code == 400 and set(answer.json()) == {"tier"}


# Committees ---------------------------------------------------------------------------


def committee_body(school, term, **overrides):
    body = {
        "school": school.pk,
        "term": term.pk,
        "stage": "school",
        "name": "学校资助工作领导小组",
        "members": MEMBERS[:3],
    }
    body.update(overrides)
    return body


def test_an_administrator_creates_a_committee_with_its_members(admin_a, school_a, term):
    answer = client_for(admin_a).post(COMMITTEES, committee_body(school_a, term), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert [m["role"] for m in body["members"]] == ["school_leader", "teacher_rep", "parent_rep"]
    again = client_for(admin_a).post(COMMITTEES, committee_body(school_a, term), format="json")
    assert again.status_code == 400 and "stage" in again.json()
    assert ReviewCommittee.objects.count() == 1


def test_bad_committee_input_names_every_field(admin_a, admin_b, school_a, school_b, term):
    body = committee_body(
        school_b,
        term,
        stage="school",
        class_name="3班",
        name=" ",
        members=[{"name": "A", "role": "teacher_rep"}, {"name": "A", "role": "parent_rep"}],
    )
    answer = client_for(admin_a).post(COMMITTEES, body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"school", "class_name", "name", "members"}
    assert not ReviewCommittee.objects.exists()


@pytest.mark.parametrize("who", ["class_teacher", "volunteer", "supervisor"])
def test_only_administrators_read_and_write_committees(request, who, school_a, term):
    user = request.getfixturevalue(who)
    assert client_for(user).get(COMMITTEES).status_code == 403
    body = committee_body(school_a, term)
    assert client_for(user).post(COMMITTEES, body, format="json").status_code == 403


def test_a_committee_of_another_school_answers_404(admin_b, class_group):
    assert client_for(admin_b).get(f"{COMMITTEES}{class_group.pk}/").status_code == 404
    assert client_for(admin_b).get(COMMITTEES).json()["results"] == []


def test_the_committee_list_costs_the_same_queries_however_many(
    admin_a, school_a, term, django_assert_num_queries
):
    def create(stage, class_name):
        committees.committee_create(
            by=admin_a,
            school_id=school_a.pk,
            term_id=term.pk,
            stage=stage,
            class_name=class_name,
            name=f"{class_name}小组",
            members=MEMBERS,
        )

    create(ReviewStage.CLASS, "1班")
    with django_assert_num_queries(LIST_QUERIES):
        client_for(admin_a).get(COMMITTEES)
    for number in range(2, 9):
        create(ReviewStage.CLASS, f"{number}班")
    with django_assert_num_queries(LIST_QUERIES):
        assert client_for(admin_a).get(COMMITTEES).json()["count"] == 8


def test_a_committee_decision_leaves_nothing_when_the_step_is_refused(
    admin_a, student, term, today, class_group
):
    assessment = investigated(student, term)
    assessment.status = AssessmentStatus.SCHOOL_REVIEWED
    assessment.save()
    answer = client_for(admin_a).post(
        f"{URL}{assessment.pk}/committee-decision/", decision(class_group, today), format="json"
    )
    assert answer.status_code == 409
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SCHOOL_REVIEWED
