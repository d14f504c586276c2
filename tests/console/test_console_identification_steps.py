"""The queue's investigation and committee-decision forms (console/identification_steps.py).

Each posts to the service the API's `investigate` and `committee-decision`
actions call; who may take the step, what is refused and why, and what a
refusal writes (nothing, and an access-log entry of the queue shown again).
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from mentoring.models import (
    AccessLogEntry,
    AssessmentStatus,
    CommitteeDecision,
    Investigation,
    ReviewStage,
    SessionKind,
)
from mentoring.services.review_committees import committee_create
from tests.console.console_world import EN, assessment, paired, signed_in
from workers.factories import AssessmentFactory, TutoringSessionFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/identification/"
MEMBERS = [
    {"name": "陈校长", "role": "school_leader"},
    {"name": "孙老师", "role": "class_teacher"},
    {"name": "周敏", "role": "parent_rep"},
]


def review_committee(world, school, stage=ReviewStage.CLASS, class_name="1班", name="一班评议小组"):
    return committee_create(
        by=world.users["district_admin"],
        school_id=school.pk,
        term_id=world.terms["one"].pk,
        stage=stage,
        class_name=class_name if stage == ReviewStage.CLASS else "",
        name=name,
        members=MEMBERS,
    )


def investigation(**changes) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "investigated_on": today,
        "investigators": "孙老师",
        "findings": "母亲长期患病，家中无稳定收入",
        "visited_on": today,
        "next": PAGE,
    } | changes


def decision(committee, **changes) -> dict:
    return {
        "committee": committee.pk,
        "decided_on": timezone.localdate().isoformat(),
        "members_present": [m.pk for m in committee.members.all()],
        "outcome": "agreed",
        "note": "评议一致同意",
        "next": PAGE,
    } | changes


def status_of(row) -> str:
    row.refresh_from_db()
    return row.status


# Who may take the steps

# What each reader gets posting a good form for an assessment of school A.
TAKES = {
    "school_admin": 302,
    "district_admin": 302,
    # School B's administrator: school A's assessment is not theirs, as if it did not exist.
    "other_school_admin": 404,
    "teacher": 403,
    "donor": 403,
    "supervisor": 403,
}


@pytest.mark.parametrize("reader", [*TAKES, "anonymous"])
def test_only_the_schools_administrators_record_the_investigation(world, reader):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽")
    client = Client() if reader == "anonymous" else signed_in(world.users[reader])

    response = client.post(f"{PAGE}{row.pk}/investigate/", investigation())

    if reader == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/?next=")
    else:
        assert response.status_code == TAKES[reader]
    taken = TAKES.get(reader) == 302
    assert status_of(row) == (
        AssessmentStatus.INVESTIGATED if taken else AssessmentStatus.SUBMITTED
    )
    assert Investigation.objects.filter(assessment=row).exists() == taken


@pytest.mark.parametrize("reader", [*TAKES, "anonymous"])
def test_only_the_schools_administrators_record_a_committees_decision(world, reader):
    a = world.schools["A"]
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    committee = review_committee(world, a)
    client = Client() if reader == "anonymous" else signed_in(world.users[reader])

    response = client.post(f"{PAGE}{row.pk}/committee-decision/", decision(committee))

    expected = 302 if reader == "anonymous" else TAKES[reader]
    assert response.status_code == expected
    taken = TAKES.get(reader) == 302
    assert status_of(row) == (
        AssessmentStatus.CLASS_REVIEWED if taken else AssessmentStatus.INVESTIGATED
    )
    assert CommitteeDecision.objects.filter(assessment=row).exists() == taken


# What each row offers


def test_a_submitted_row_offers_the_investigation_with_the_students_logged_home_visits(world):
    a, term = world.schools["A"], world.terms["one"]
    pairing = paired(a, term, "王小丽")
    visit = TutoringSessionFactory(
        pairing=pairing, kind=SessionKind.HOME_VISIT, date=timezone.localdate()
    )
    row = AssessmentFactory(student=pairing.student, term=term)

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    part = html.split(f'data-assessment="{row.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-action="investigate"' in part
    for label in ("Investigated on", "Investigated by", "Findings", "Home visit on"):
        assert f">{label}</label>" in part
    # The visit's date as every page writes it in English (config/formats/en).
    assert f'<option value="{visit.pk}">{visit.date.day} {visit.date:%b %Y}</option>' in part


def test_an_investigated_row_offers_its_class_groups_decision_with_members_in_words(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.INVESTIGATED)
    mine = review_committee(world, a)
    # Another class's group cannot decide it, and is not offered.
    other = review_committee(world, a, class_name="2班", name="二班评议小组")

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    part = html.split(f'data-assessment="{row.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-action="committee_decision"' in part
    assert "Class review group" in part
    assert f'<option value="{mine.pk}">一班评议小组</option>' in part
    assert f'<option value="{other.pk}">' not in part and "二班评议小组" not in part
    assert "陈校长 (School leader)" in part and "school_leader" not in part
    assert '<option value="not_agreed">Not agreed</option>' in part


def test_without_a_committee_the_row_links_to_the_committees_page_instead(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.INVESTIGATED)

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    part = html.split(f'data-assessment="{row.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-missing="committee"' in part
    assert f'href="/console/identification/committees/?term={term.pk}"' in part
    assert 'data-action="committee_decision"' not in part


# The steps taken


def test_the_class_and_school_committees_decisions_take_the_review_steps(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.INVESTIGATED)
    group = review_committee(world, a)
    school = review_committee(world, a, stage=ReviewStage.SCHOOL, name="学校资助评审组")
    client = signed_in(world.users["school_admin"])

    first = client.post(f"{PAGE}{row.pk}/committee-decision/", decision(group))
    second = client.post(
        f"{PAGE}{row.pk}/committee-decision/",
        decision(school, tier="special_hardship", votes_for=3, votes_against=0, votes_abstaining=0),
    )

    assert (first.status_code, second.status_code) == (302, 302)
    row.refresh_from_db()
    assert (row.status, row.tier) == (AssessmentStatus.SCHOOL_REVIEWED, "special_hardship")
    assert list(row.committee_decisions.values_list("stage", "votes_for")) == [
        ("class", None),
        ("school", 3),
    ]


def test_a_committee_that_does_not_agree_rejects_the_application_with_its_note(world):
    a = world.schools["A"]
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    group = review_committee(world, a)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/committee-decision/",
        decision(group, outcome="not_agreed", note="家庭收入高于标准"),
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == AssessmentStatus.REJECTED
    assert "家庭收入高于标准" in row.events.order_by("pk").last().note


def _tier_select(world, **changes) -> tuple:
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.CLASS_REVIEWED, **changes)
    review_committee(world, a, stage=ReviewStage.SCHOOL, name="学校资助评审组")
    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()
    form = html.split(f'id="dec-{row.pk}-tier"', 1)[1].split("</p>", 1)[0]
    label = html.split(f'<label for="dec-{row.pk}-tier">', 1)[1].split("</label>", 1)[0]
    return row, form, label


def test_the_school_reviews_tier_has_no_default_when_the_application_proposes_none(world):
    _row, form, label = _tier_select(world, tier="")

    # Nothing chosen: the first option, "Choose a tier", is empty, and the page says why.
    assert '<option value="">Choose a tier</option>' in form
    assert " selected" not in form and "Tier as proposed" not in form
    assert label == "Tier (required when agreed)"
    assert "The application proposes no tier: the school review must choose one." in form


def test_the_school_reviews_tier_defaults_to_the_applications_own(world):
    _row, form, _label = _tier_select(world, tier="hardship")

    assert '<option value="hardship" selected>' in form
    assert '<option value="">' not in form


def test_a_school_committee_that_does_not_agree_proposes_no_tier_whatever_the_select_shows(world):
    row, _form, _label = _tier_select(world, tier="hardship")
    school = row.student.school.review_committees.get()

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/committee-decision/",
        decision(school, outcome="not_agreed", tier="hardship", note="家庭收入高于标准"),
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == AssessmentStatus.REJECTED


# Refusals: every bad field at once, nothing written, the queue shown and access-logged


def test_a_bad_investigation_names_every_bad_field_at_once_and_writes_nothing(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/investigate/",
        investigation(
            investigated_on=tomorrow,
            investigators="",
            findings="  ",
            visited_on="",
            visit_session="x",
        ),
        **EN,
    )

    assert response.status_code == 400
    problem = response.context["problem"]
    for named in (
        "Investigated on: The investigation is dated from the application",
        "Investigated by: This field is required.",
        "Findings: This field is required.",
        "Home visit on: An investigation needs its home visit",
        "Home-visit session: Enter a whole number.",
    ):
        assert named in problem
    assert status_of(row) == AssessmentStatus.SUBMITTED
    assert not Investigation.objects.exists()


def test_a_missing_home_visit_is_asked_for_by_the_fields_the_form_shows(world):
    a, term = world.schools["A"], world.terms["one"]
    alone = assessment(a, term, "王小丽")
    visited = AssessmentFactory(student=paired(a, term, "李明").student, term=term)
    TutoringSessionFactory(pairing=visited.student.pairings.get(), kind=SessionKind.HOME_VISIT)
    client = signed_in(world.users["school_admin"])

    without = client.post(f"{PAGE}{alone.pk}/investigate/", investigation(visited_on=""), **EN)
    with_one = client.post(f"{PAGE}{visited.pk}/investigate/", investigation(visited_on=""), **EN)

    # No logged home visit: no session to choose, the form has only the day.
    assert without.context["problem"].endswith(
        "Home visit on: An investigation needs its home visit: give the day of the visit."
    )
    assert f'id="inv-{alone.pk}-visit_session"' not in without.content.decode()
    assert with_one.context["problem"].endswith("give the day of the visit or its session.")
    assert f'id="inv-{visited.pk}-visit_session"' in with_one.content.decode()


def test_a_bad_decision_names_every_bad_field_at_once_and_writes_nothing(world):
    a, b = world.schools["A"], world.schools["B"]
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    theirs = review_committee(world, b, name="东风一班评议小组")
    long_ago = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/committee-decision/",
        {
            "committee": theirs.pk,
            "decided_on": long_ago,
            "members_present": [],
            "outcome": "maybe",
            "votes_for": "-1",
            "note": "",
        },
        **EN,
    )

    assert response.status_code == 400
    problem = response.context["problem"]
    for named in (
        "Committee: No such committee of the student's school and term.",
        "Decided on: The decision is dated from the application",
        "Members present: This field is required.",
        "Outcome: Select a valid choice.",
        "Votes for: Ensure this value is greater than or equal to 0.",
    ):
        assert named in problem
    assert status_of(row) == AssessmentStatus.INVESTIGATED
    assert not CommitteeDecision.objects.exists()


def test_an_agreeing_committee_needs_no_note_a_disagreeing_one_gives_its_reason(world):
    a = world.schools["A"]
    agreed = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    refused = assessment(a, world.terms["one"], "张小军", AssessmentStatus.INVESTIGATED)
    group = review_committee(world, a)
    client = signed_in(world.users["school_admin"])

    html = client.get(PAGE, **EN).content.decode()
    note_box = html.split(f'id="dec-{agreed.pk}-note"', 1)[1].split(">", 1)[0]
    assert "required" not in note_box
    assert "Note (required when not agreed)" in html

    without_note = client.post(f"{PAGE}{agreed.pk}/committee-decision/", decision(group, note=""))
    without_reason = client.post(
        f"{PAGE}{refused.pk}/committee-decision/",
        decision(group, outcome="not_agreed", note=" "),
        **EN,
    )

    assert without_note.status_code == 302
    assert status_of(agreed) == AssessmentStatus.CLASS_REVIEWED
    assert without_reason.status_code == 400
    assert without_reason.context["problem"].endswith(
        "Note: Give the reason the committee did not agree."
    )
    assert status_of(refused) == AssessmentStatus.INVESTIGATED


def test_a_refused_form_is_shown_open_again_with_what_was_typed(world):
    a = world.schools["A"]
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    group = review_committee(world, a)
    first, *others = group.members.all()

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/committee-decision/",
        decision(group, members_present=[first.pk], outcome="not_agreed", note="仅一人出席"),
        **EN,
    )

    assert response.status_code == 400
    part = response.content.decode().split(f'data-assessment="{row.pk}"', 1)[1]
    part = part.split("</tr>", 1)[0]
    assert 'data-step="committee_decision" open' in part
    assert f'value="{first.pk}" checked' in part
    assert all(f'value="{m.pk}" checked' not in part for m in others)
    assert '<option value="not_agreed" selected>' in part and ">仅一人出席</textarea>" in part


def test_votes_that_do_not_add_up_are_named_with_the_members_present(world):
    a = world.schools["A"]
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    group = review_committee(world, a)
    two = [m.pk for m in group.members.all()][:2]

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/committee-decision/",
        decision(group, members_present=two, votes_for=3, votes_against=0, votes_abstaining=0),
        **EN,
    )

    assert response.status_code == 400
    assert (
        "Votes for: The votes add up to 3 but 2 members are present."
        in (response.context["problem"])
    )
    assert not CommitteeDecision.objects.exists()


@pytest.mark.parametrize(
    ("status", "step", "message"),
    [
        (AssessmentStatus.SUBMITTED, "committee-decision", "is not possible while"),
        (AssessmentStatus.INVESTIGATED, "investigate", "is not possible while"),
    ],
)
def test_a_step_out_of_order_shows_the_services_reason_writes_nothing_and_is_access_logged(
    world, status, step, message
):
    a = world.schools["A"]
    row = assessment(a, world.terms["one"], "王小丽", status)
    group = review_committee(world, a)
    data = decision(group) if step == "committee-decision" else investigation()

    response = signed_in(world.users["school_admin"]).post(f"{PAGE}{row.pk}/{step}/", data, **EN)

    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="problem"' in html and message in response.context["problem"]
    assert "王小丽" in html
    assert status_of(row) == status
    assert not Investigation.objects.exists() and not CommitteeDecision.objects.exists()
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert (entry.action, entry.object_kind, entry.path) == (
        "list",
        "assessment",
        f"{PAGE}{row.pk}/{step}/",
    )
    assert list(entry.students.values_list("student_id", flat=True)) == [row.student_id]


def test_an_invalid_form_is_access_logged_like_reading_the_queue(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽")

    response = signed_in(world.users["school_admin"]).post(f"{PAGE}{row.pk}/investigate/", {})

    assert response.status_code == 400
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert entry.path == f"{PAGE}{row.pk}/investigate/"
    assert list(entry.students.values_list("student_id", flat=True)) == [row.student_id]


# Query count


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def _rows(world, prefix: str, n: int) -> None:
    a, term = world.schools["A"], world.terms["one"]
    states = [
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.INVESTIGATED,
        AssessmentStatus.CLASS_REVIEWED,
    ]
    for i in range(n):
        pairing = paired(a, term, f"{prefix}{i}")
        TutoringSessionFactory(pairing=pairing, kind=SessionKind.HOME_VISIT)
        AssessmentFactory(student=pairing.student, term=term, status=states[i % 3])


def test_the_queue_with_its_step_forms_costs_the_same_queries_for_3_or_15_assessments(world):
    a = world.schools["A"]
    review_committee(world, a)
    review_committee(world, a, stage=ReviewStage.SCHOOL, name="学校资助评审组")
    client = signed_in(world.users["school_admin"])
    _rows(world, "甲", 3)
    few = _queries(client)
    _rows(world, "乙", 12)

    html = client.get(PAGE).content.decode()
    assert html.count('data-action="investigate"') == 5
    assert html.count('data-action="committee_decision"') == 10
    assert _queries(client) == few


# A refusal keeps the user's place


def test_a_refused_step_answers_the_filtered_queue_at_its_row_naming_the_student(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽")
    assessment(a, term, "李明", AssessmentStatus.INVESTIGATED)
    shown = f"{PAGE}?term={term.pk}&state=submitted"

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/investigate/",
        investigation(visited_on="", investigators="孙老师和周敏", next=shown),
        **EN,
    )

    assert response.status_code == 400
    # The queue as it was posted from: its state kept, the other state's row not shown.
    assert response.context["state"] == "submitted"
    assert [r.student.name for r in response.context["rows"]] == ["王小丽"]
    assert response.context["problem"].startswith("王小丽: Home visit on: An investigation needs")
    html = response.content.decode()
    part = html.split(f'<tr id="assessment-{row.pk}" data-assessment="{row.pk}" class="refused">')
    part = part[1].split("</tr>", 1)[0]
    assert '<p class="error" data-problem>王小丽: Home visit on:' in part
    assert 'data-step="investigate" open' in part and 'value="孙老师和周敏"' in part
    assert f'action="{PAGE}{row.pk}/investigate/#assessment-{row.pk}"' in part
    assert f'name="next" value="{escape(shown)}"' in part
    # A reload reads the queue at the row (console/shown_at.js), never posts the step again.
    assert f'<meta name="shown-at" content="{escape(shown)}#assessment-{row.pk}">' in html


def test_a_refused_action_of_the_queue_keeps_the_state_shown_and_names_the_student(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.INVESTIGATED)
    shown = f"{PAGE}?term={term.pk}&state=investigated"

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/reject/", {"reason": "   ", "next": shown}, **EN
    )

    assert response.status_code == 400
    assert response.context["state"] == "investigated"
    assert response.context["problem"].startswith("王小丽: ")
    assert f"#assessment-{row.pk}" in response.context["shown_at"]
